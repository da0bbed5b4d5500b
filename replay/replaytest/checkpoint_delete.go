package replaytest

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
)

// RunCheckpointDelete checks replay.CheckpointDeleter: a deleted checkpoint
// reads as never stored (not vanished), and only the current lease holder
// may delete. open must return a store that implements CheckpointDeleter.
func RunCheckpointDelete(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a deleted checkpoint reads as not found and only the lease holder may delete it", func(t *testing.T) {
		s := open(t)
		d, ok := s.(replay.CheckpointDeleter)
		if !ok {
			t.Fatalf("%T does not implement replay.CheckpointDeleter", s)
		}
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		noErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: []byte{7}}))
		stale := lease
		stale.Token++
		wantErr(t, "DeleteCheckpoint with a stale token", d.DeleteCheckpoint(t.Context(), stale), replay.ErrFenced)
		if _, err := s.Checkpoint(t.Context(), org, topic); err != nil {
			t.Fatalf("a fenced delete removed the checkpoint: %v", err)
		}
		noErr(t, "DeleteCheckpoint", d.DeleteCheckpoint(t.Context(), lease))
		_, err := s.Checkpoint(t.Context(), org, topic)
		wantErr(t, "Checkpoint after delete", err, replay.ErrNotFound)
		noErr(t, "DeleteCheckpoint again", d.DeleteCheckpoint(t.Context(), lease))
	})
}
