package replaytest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sfcdc/sfcdc/replay"
)

func runConcurrency(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("of many simultaneous acquirers exactly one wins", func(t *testing.T) {
		s := open(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := s.AcquireLease(t.Context(), org, topic, fmt.Sprintf("racer-%d", i), longTTL)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, replay.ErrLeaseHeld):
					t.Errorf("AcquireLease: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d winners, want 1", wins.Load())
		}
	})

	t.Run("a stale writer racing a takeover never lands a write after it", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, shortTTL)
		staleDone := make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				err := s.SaveCheckpoint(t.Context(), a, replay.Checkpoint{ReplayID: fmt.Appendf(nil, "a%d", i)})
				if err != nil {
					staleDone <- err
					return
				}
			}
		}()
		b := acquireWhenFree(t, s, topic, holderB, longTTL)
		noErr(t, "SaveCheckpoint by B", s.SaveCheckpoint(t.Context(), b, replay.Checkpoint{ReplayID: []byte("b")}))
		wantErr(t, "stale writer", <-staleDone, replay.ErrFenced)
		got, err := s.Checkpoint(t.Context(), org, topic)
		noErr(t, "Checkpoint", err)
		if string(got.ReplayID) != "b" {
			t.Errorf("checkpoint %q, want B's", got.ReplayID)
		}
	})

	t.Run("concurrent writers of every kind leave consistent data", func(t *testing.T) {
		s := open(t)
		lease := mustAcquire(t, s, topic, holderA, longTTL)
		const workers, rounds = 4, 25
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { concurrentWorker(t, s, lease, w, rounds) })
		}
		wg.Wait()
		n, err := s.CountDeadLetters(t.Context(), org)
		noErr(t, "CountDeadLetters", err)
		if n != workers*rounds {
			t.Errorf("%d dead letters, want %d", n, workers*rounds)
		}
		all := map[string]replay.Hashes{}
		for w := range workers {
			for id, h := range hashBatch(fmt.Sprintf("w%d", w), rounds) {
				all[id] = h
			}
		}
		got, err := s.Hashes(t.Context(), org, ids(all))
		noErr(t, "Hashes", err)
		if len(got) != len(all) {
			t.Errorf("%d hashes, want %d", len(got), len(all))
		}
		_, err = s.Checkpoint(t.Context(), org, topic)
		noErr(t, "Checkpoint", err)
	})
}

// concurrentWorker writes checkpoints, hashes, dead letters and status, and
// renews the lease, interleaved with the other workers.
func concurrentWorker(t *testing.T, s replay.Store, lease replay.Lease, w, rounds int) {
	ctx := t.Context()
	batch := hashBatch(fmt.Sprintf("w%d", w), rounds)
	for i := range rounds {
		if err := s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{byte(w), byte(i)}}); err != nil {
			t.Errorf("SaveCheckpoint: %v", err)
			return
		}
		id := fmt.Sprintf("w%d-%06d", w, i)
		if err := s.SaveHashes(ctx, org, map[string]replay.Hashes{id: batch[id]}); err != nil {
			t.Errorf("SaveHashes: %v", err)
			return
		}
		if _, err := s.AddDeadLetter(ctx, org, replay.DeadLetter{Topic: topic, RecordID: id, Reason: "test"}); err != nil {
			t.Errorf("AddDeadLetter: %v", err)
			return
		}
		if err := s.SaveStatus(ctx, org, topic, replay.Status{State: replay.StateStreaming, Events: int64(i)}); err != nil {
			t.Errorf("SaveStatus: %v", err)
			return
		}
		if _, err := s.RenewLease(ctx, lease); err != nil {
			t.Errorf("RenewLease: %v", err)
			return
		}
	}
}
