package replay

import (
	"bytes"
	"time"
)

// Checkpoint is where a topic's stream resumes: the replay ID of the last
// event before which everything was handled (uploaded or dead-lettered).
type Checkpoint struct {
	// ReplayID is Salesforce's opaque replay ID, stored byte for byte. Never
	// compare two for order: order comes from arrival order only.
	ReplayID []byte
	// CommitTime is the commit timestamp of the checkpointed event, or the
	// arrival time of the keepalive whose latest replay ID was checkpointed.
	// Replay IDs expire 72 h after it.
	CommitTime time.Time
	// WrittenAt is when the store saved the checkpoint; set by the store.
	WrittenAt time.Time
	// Token is the fencing token of the lease the checkpoint was written
	// under; set by the store.
	Token uint64
}

// Equal reports whether c and o hold the same values.
func (c Checkpoint) Equal(o Checkpoint) bool {
	return bytes.Equal(c.ReplayID, o.ReplayID) && c.CommitTime.Equal(o.CommitTime) &&
		c.WrittenAt.Equal(o.WrittenAt) && c.Token == o.Token
}

// Field names of a stored checkpoint.
const (
	fieldReplayID   = "replay_id"
	fieldCommitTime = "commit_time"
	fieldWrittenAt  = "written_at"
	fieldToken      = "token"
)

func (c Checkpoint) fields() fields {
	f := fields{fieldReplayID: string(c.ReplayID)}
	f.setTime(fieldCommitTime, c.CommitTime)
	f.setTime(fieldWrittenAt, c.WrittenAt)
	f[fieldToken] = uintString(c.Token)
	return f
}

// checkpointFromFields decodes a stored checkpoint. A checkpoint without a
// replay ID or token is corrupt: no writer of this package stores one.
func checkpointFromFields(f fields) (Checkpoint, error) {
	var c Checkpoint
	var err error
	if f[fieldReplayID] == "" {
		return c, corruptf("checkpoint: no replay ID")
	}
	c.ReplayID = []byte(f[fieldReplayID])
	if c.Token, err = f.uint(fieldToken); err != nil {
		return c, err
	}
	if c.Token == 0 {
		return c, corruptf("checkpoint: no fencing token")
	}
	if c.CommitTime, err = f.time(fieldCommitTime); err != nil {
		return c, err
	}
	if c.WrittenAt, err = f.time(fieldWrittenAt); err != nil {
		return c, err
	}
	return c, nil
}

// checkNewCheckpoint validates what a caller asks to save.
func checkNewCheckpoint(c Checkpoint) error {
	if len(c.ReplayID) == 0 {
		return invalidf("empty replay ID")
	}
	if len(c.ReplayID) > maxReplayIDBytes {
		return invalidf("replay ID of %d bytes exceeds %d", len(c.ReplayID), maxReplayIDBytes)
	}
	return nil
}

// maxReplayIDBytes bounds a replay ID. Salesforce's are a few bytes; the
// bound only stops a caller from storing a record body by mistake.
const maxReplayIDBytes = 1024
