package pipeline

import (
	"errors"
	"fmt"

	"github.com/sfcdc/sfcdc/replay"
)

// ErrLeaseLost means the worker stopped because its lease expired or was
// taken over; another holder owns the topic now.
var ErrLeaseLost = errors.New("topic lease lost")

// CheckpointVanishedError stops a worker whose topic had a checkpoint that
// is gone (Redis lost data, a key was deleted). Resuming at LATEST would
// silently skip events; recovery (a REST backfill over the uncovered
// window) is for the operator or a recovery policy to run. It matches
// replay.ErrCheckpointVanished.
type CheckpointVanishedError struct {
	Org, Topic string
}

func (e *CheckpointVanishedError) Error() string {
	return fmt.Sprintf("resume topic %s of org %s: its checkpoint vanished; refusing to start at LATEST", e.Topic, e.Org)
}

// Is makes errors.Is(err, replay.ErrCheckpointVanished) true.
func (e *CheckpointVanishedError) Is(target error) bool {
	return target == replay.ErrCheckpointVanished
}

// Dead-letter reasons (replay.DeadLetter.Reason), short and stable.
const (
	reasonPoison      = "undecodable event"
	reasonNotCDC      = "not a change event"
	reasonUnmappable  = "unmappable record"
	reasonRejected    = "cm rejected comment"
	reasonFetchFailed = "record fetch refused"
	reasonNeedsResync = "gap overflow needs resync"
)
