package pipeline

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// internalStore is an embedded store of the test's own: the lease keeper
// is under test here, not Redis.
func internalStore(t *testing.T) *replay.FileStore {
	t.Helper()
	return simworld.NewFileStore(t)
}

// A holder paused past its lease's local deadline must not write a
// checkpoint when it wakes, even while the store still holds its lease key
// (the store's TTL runs on the server's clock, the deadline is measured
// from before the request): the keeper refuses the write as fenced and
// declares the lease lost.
func TestAPausedHolderPastItsDeadlineWritesNoCheckpoint(t *testing.T) {
	t.Parallel()
	store := internalStore(t)
	const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
	lease, err := store.AcquireLease(t.Context(), org, topic, "paused", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	paused := lease
	paused.Expires = time.Now().Add(-time.Millisecond) // it slept through its deadline
	keeper := keepLease(nil, store, paused, slog.New(slog.DiscardHandler), nil, nil)
	defer keeper.end()
	stats := newTopicStats(topic, nil, nil, nil)
	checkpoints := fencedCheckpoints{CheckpointStore: store, keeper: keeper, stats: stats}
	cp := replay.Checkpoint{ReplayID: []byte{0, 0, 0, 7}, CommitTime: time.Now()}

	if err := checkpoints.SaveCheckpoint(t.Context(), paused, cp); !errors.Is(err, replay.ErrFenced) {
		t.Fatalf("SaveCheckpoint after the deadline = %v, want ErrFenced", err)
	}
	if _, err := store.Checkpoint(t.Context(), org, topic); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("a checkpoint was written (read: %v)", err)
	}
	select {
	case <-keeper.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("the keeper did not declare the lease lost")
	}
	if !errors.Is(keeper.Err(), ErrLeaseLost) || !stats.snapshot(time.Now()).LastCheckpointAt.IsZero() {
		t.Fatalf("keeper error %v, want ErrLeaseLost and no checkpoint recorded", keeper.Err())
	}
	// The store alone would still have taken it: the refusal is the keeper's.
	if err := store.SaveCheckpoint(t.Context(), lease, cp); err != nil {
		t.Fatalf("the store refused the write itself (%v); the test proves nothing", err)
	}
}

// A keeper renews the lease past its TTL while it is held, and the writes
// it allows are recorded as the topic's last checkpoint. It runs in a
// synctest bubble on the embedded store: the renewals happen on the fake
// clock, so the test neither sleeps nor spins on the wall clock.
func TestAKeeperRenewsTheLeaseAndRecordsCheckpoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
		const ttl = 30 * time.Second
		lease, err := store.AcquireLease(t.Context(), org, topic, "holder", ttl)
		if err != nil {
			t.Fatal(err)
		}
		keeper := keepLease(nil, store, lease, slog.New(slog.DiscardHandler), nil, nil)
		defer keeper.end()
		first := lease.Expires
		time.Sleep(2 * ttl) // fake time: six renewals are due meanwhile
		synctest.Wait()
		if err := keeper.Err(); err != nil || !keeper.Lease().Expires.After(first.Add(ttl)) {
			t.Fatalf("after two TTLs the lease expires at %v (first %v), err %v: want it renewed past its first TTL",
				keeper.Lease().Expires, first, err)
		}
		stats := newTopicStats(topic, nil, nil, nil)
		commit := time.Now().Add(-time.Hour)
		checkpoints := fencedCheckpoints{CheckpointStore: store, keeper: keeper, stats: stats}
		if err := checkpoints.SaveCheckpoint(t.Context(), keeper.Lease(), replay.Checkpoint{ReplayID: []byte{1}, CommitTime: commit}); err != nil {
			t.Fatal(err)
		}
		snap := stats.snapshot(time.Now())
		if snap.LastCheckpointAt.IsZero() || snap.ReplayAge != time.Hour {
			t.Fatalf("snapshot after a checkpoint: %+v, want its write time and a replay age of exactly 1 h (fake clock)", snap)
		}
	})
}

func TestAStandbyRetriesWhenTheHeldLeaseWouldExpire(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ retry, remaining, want time.Duration }{
		{15 * time.Second, 4 * time.Second, 4*time.Second + 20*time.Millisecond},
		{15 * time.Second, 0, 20 * time.Millisecond},
		{time.Second, 5 * time.Second, time.Second},
		{time.Second, -time.Second, time.Second}, // unknown remaining time
	} {
		if got := standbyWait(c.retry, c.remaining); got != c.want {
			t.Errorf("standbyWait(%s, %s) = %s, want %s", c.retry, c.remaining, got, c.want)
		}
	}
}
