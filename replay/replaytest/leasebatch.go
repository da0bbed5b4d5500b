package replaytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// topic3 is a third topic for the batches.
const topic3 = "/data/TaskChangeEvent"

// runLeaseBatches checks RenewLeases: one call answers each lease as
// RenewLease would, a refusal ends exactly the lease refused.
func runLeaseBatches(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a batch renews every lease still held and refuses exactly the one taken over", func(t *testing.T) {
		s := open(t)
		a1 := mustAcquire(t, s, topic, holderA, longTTL)
		a2 := mustAcquire(t, s, topic2, holderA, longTTL)
		a3 := mustAcquire(t, s, topic3, holderA, longTTL)
		noErr(t, "ReleaseLease", s.ReleaseLease(t.Context(), a2))
		b2 := mustAcquire(t, s, topic2, holderB, longTTL)

		before := time.Now()
		renewed, errs := s.RenewLeases(t.Context(), []replay.Lease{a1, a2, a3})
		after := time.Now()
		if len(renewed) != 3 || len(errs) != 3 {
			t.Fatalf("RenewLeases of 3 answered %d leases and %d errors", len(renewed), len(errs))
		}
		if !errors.Is(errs[1], replay.ErrFenced) {
			t.Errorf("the lease taken over: %v, want ErrFenced", errs[1])
		}
		for _, i := range []int{0, 2} {
			want := []replay.Lease{a1, a2, a3}[i]
			got := renewed[i]
			if errs[i] != nil {
				t.Fatalf("lease %d (%s): %v, want renewed", i, want.Topic, errs[i])
			}
			if got.Org != want.Org || got.Topic != want.Topic || got.Token != want.Token || got.Holder != want.Holder || got.TTL != want.TTL {
				t.Errorf("lease %d renewed as %+v, want %+v with a new Expires", i, got, want)
			}
			// Measured from before the round trip: never later than the store's.
			if got.Expires.Before(before.Add(longTTL)) || got.Expires.After(after.Add(longTTL)) {
				t.Errorf("lease %d expires %v, want within [%v, %v]", i, got.Expires, before.Add(longTTL), after.Add(longTTL))
			}
			cp := replay.Checkpoint{ReplayID: []byte{byte(i + 1)}, CommitTime: time.Now()}
			noErr(t, "SaveCheckpoint under a renewed lease", s.SaveCheckpoint(t.Context(), got, cp))
		}
		// The refused lease moved nothing: the new holder still writes, the old cannot.
		noErr(t, "SaveCheckpoint of the new holder", s.SaveCheckpoint(t.Context(), b2, replay.Checkpoint{ReplayID: []byte{9}, CommitTime: time.Now()}))
		if _, err := s.RenewLease(t.Context(), b2); err != nil {
			t.Errorf("the new holder's lease after the batch: %v", err)
		}
	})

	t.Run("a lease that expired in the store is refused in a batch", func(t *testing.T) {
		s := open(t)
		short := mustAcquire(t, s, topic, holderA, shortTTL)
		long := mustAcquire(t, s, topic2, holderA, longTTL)
		acquireWhenFree(t, s, topic, holderB, longTTL)
		_, errs := s.RenewLeases(t.Context(), []replay.Lease{short, long})
		if !errors.Is(errs[0], replay.ErrFenced) || errs[1] != nil {
			t.Fatalf("errors %v, want ErrFenced for the expired lease only", errs)
		}
	})

	t.Run("an invalid lease in a batch is refused alone, naming the problem", func(t *testing.T) {
		s := open(t)
		good := mustAcquire(t, s, topic, holderA, longTTL)
		bad := good
		bad.Topic, bad.Token = topic2, 0
		renewed, errs := s.RenewLeases(t.Context(), []replay.Lease{bad, good})
		if errs[0] == nil || errors.Is(errs[0], replay.ErrFenced) {
			t.Errorf("a lease without a token: %v, want a clear refusal", errs[0])
		}
		if errs[1] != nil || renewed[1].Token != good.Token {
			t.Errorf("the valid lease beside it: %+v, %v", renewed[1], errs[1])
		}
	})

	t.Run("an empty batch asks nothing", func(t *testing.T) {
		s := open(t)
		renewed, errs := s.RenewLeases(t.Context(), nil)
		if len(renewed) != 0 || len(errs) != 0 {
			t.Fatalf("an empty batch answered %v, %v", renewed, errs)
		}
	})

	t.Run("a batch under an ended context renews nothing and fences nothing", func(t *testing.T) {
		s := open(t)
		a1 := mustAcquire(t, s, topic, holderA, longTTL)
		a2 := mustAcquire(t, s, topic2, holderA, longTTL)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, errs := s.RenewLeases(ctx, []replay.Lease{a1, a2})
		for i, err := range errs {
			if err == nil || errors.Is(err, replay.ErrFenced) {
				t.Errorf("lease %d under a cancelled context: %v, want the context's error", i, err)
			}
		}
		if _, err := s.RenewLease(t.Context(), a1); err != nil {
			t.Errorf("the lease after the failed batch: %v, want still held", err)
		}
	})
}
