package replay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

func TestAScopedViewConformsOnEitherStore(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		replaytest.Run(t, func(t *testing.T) replay.Store { return replay.NewScoped(newFileStore(t), "acme/support") })
	})
	t.Run("redis", func(t *testing.T) {
		replaytest.Run(t, func(t *testing.T) replay.Store {
			store, _ := newRedisStore(t)
			return replay.NewScoped(store, "acme/support")
		})
	})
}

// Two integrations reading one org into two CM sources: each has its own
// lease, checkpoint, hashes and dead letters for the same topic.
func TestTwoScopesOfOneOrgKeepSeparateState(t *testing.T) {
	base := newFileStore(t)
	a, b := replay.NewScoped(base, "acme/support"), replay.NewScoped(base, "acme/sales")
	ctx := t.Context()
	const org, topic = "00D5e000000XyZ1", "/data/EmailMessageChangeEvent"

	la, err := a.AcquireLease(ctx, org, topic, "instance-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if la.Org != org {
		t.Fatalf("the lease names org %q; want the caller's %q", la.Org, org)
	}
	lb, err := b.AcquireLease(ctx, org, topic, "instance-2", time.Minute)
	if err != nil {
		t.Fatalf("the other integration's lease on the same org and topic: %v", err)
	}
	if err := a.SaveCheckpoint(ctx, la, replay.Checkpoint{ReplayID: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Checkpoint(ctx, org, topic); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("b sees a's checkpoint: %v", err)
	}
	if err := b.SaveCheckpoint(ctx, lb, replay.Checkpoint{ReplayID: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	cpA, _ := a.Checkpoint(ctx, org, topic)
	if cpA.ReplayID[0] != 1 {
		t.Fatalf("a's checkpoint became %v", cpA.ReplayID)
	}
	// A lease of one scope does not fence the other.
	if _, err := a.RenewLease(ctx, lb); !errors.Is(err, replay.ErrFenced) {
		t.Fatalf("renewing b's lease through a: %v; want ErrFenced", err)
	}
	if _, err := a.AddDeadLetter(ctx, org, replay.DeadLetter{Topic: topic, RecordID: "02s5e000000AbCdAAA", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.CountDeadLetters(ctx, org); n != 0 {
		t.Fatalf("b counts %d dead letters of a", n)
	}
	// Nothing reaches the unscoped org, and Close leaves the base open.
	if _, err := base.Checkpoint(ctx, org, topic); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("the unscoped org has a checkpoint: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Checkpoint(ctx, org, topic); err != nil {
		t.Fatalf("after closing a scope the shared store is closed: %v", err)
	}
	if _, err := a.Checkpoint(ctx, "00D5e000000XyZ1-an-org-id-far-too-long-for-a-scope-x", topic); !errors.Is(err, replay.ErrInvalid) {
		t.Fatalf("a long org: %v; want ErrInvalid", err)
	}
}
