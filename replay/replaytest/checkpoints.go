package replaytest

import (
	"bytes"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func runCheckpoints(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a topic that never had a checkpoint reads as not found", func(t *testing.T) {
		s := open(t)
		_, err := s.Checkpoint(t.Context(), org, topic)
		wantErr(t, "Checkpoint", err, replay.ErrNotFound)
	})

	t.Run("a binary replay ID is read back byte for byte with its times and token", func(t *testing.T) {
		s := open(t)
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		commit := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
		noErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: binaryReplayID, CommitTime: commit}))
		got, err := s.Checkpoint(t.Context(), org, topic)
		noErr(t, "Checkpoint", err)
		if !bytes.Equal(got.ReplayID, binaryReplayID) {
			t.Errorf("ReplayID = %x, want %x", got.ReplayID, binaryReplayID)
		}
		if !got.CommitTime.Equal(commit) {
			t.Errorf("CommitTime = %v, want %v", got.CommitTime, commit)
		}
		if got.Token != lease.Token {
			t.Errorf("Token = %d, want the lease's %d", got.Token, lease.Token)
		}
		if !recent(got.WrittenAt) {
			t.Errorf("WrittenAt = %v, want the time of the write", got.WrittenAt)
		}
	})

	t.Run("a later write replaces the checkpoint and a repeated write is harmless", func(t *testing.T) {
		s := open(t)
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		for _, id := range [][]byte{{1}, {2, 0}, {2, 0}} {
			noErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: id}))
		}
		got, err := s.Checkpoint(t.Context(), org, topic)
		noErr(t, "Checkpoint", err)
		if !bytes.Equal(got.ReplayID, []byte{2, 0}) || !got.CommitTime.IsZero() {
			t.Errorf("got %x at %v, want 0200 with no commit time", got.ReplayID, got.CommitTime)
		}
	})

	t.Run("checkpoints of other topics and orgs are separate", func(t *testing.T) {
		s := open(t)
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		noErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: []byte{9}}))
		_, err := s.Checkpoint(t.Context(), org, topic2)
		wantErr(t, "Checkpoint of another topic", err, replay.ErrNotFound)
		_, err = s.Checkpoint(t.Context(), otherOrg, topic)
		wantErr(t, "Checkpoint of another org", err, replay.ErrNotFound)
	})

	t.Run("invalid checkpoints and names are refused", func(t *testing.T) {
		s := open(t)
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		err := s.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{})
		wantErr(t, "SaveCheckpoint with empty replay ID", err, replay.ErrInvalid)
		for _, o := range []string{"", "org{x}", "org:x", "org x"} {
			_, err = s.Checkpoint(t.Context(), o, topic)
			wantErr(t, "Checkpoint of org "+o, err, replay.ErrInvalid)
		}
		_, err = s.Checkpoint(t.Context(), org, "")
		wantErr(t, "Checkpoint of empty topic", err, replay.ErrInvalid)
	})
}
