package pipeline

import (
	"errors"
	"log/slog"
	"testing"
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
	store := internalStore(t)
	const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
	lease, err := store.AcquireLease(t.Context(), org, topic, "paused", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	paused := lease
	paused.Expires = time.Now().Add(-time.Millisecond) // it slept through its deadline
	keeper := keepLease(store, paused, slog.New(slog.DiscardHandler), nil, nil)
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
// it allows are recorded as the topic's last checkpoint.
func TestAKeeperRenewsTheLeaseAndRecordsCheckpoints(t *testing.T) {
	store := internalStore(t)
	const org, topic = "00D000000000001AAA", "/data/CaseChangeEvent"
	// A renewal must land within two thirds of the TTL; the embedded store
	// syncs each write to disk, which on a loaded machine took over the
	// 200 ms a 300 ms TTL leaves, so the TTL is a second.
	const ttl = time.Second
	lease, err := store.AcquireLease(t.Context(), org, topic, "holder", ttl)
	if err != nil {
		t.Fatal(err)
	}
	keeper := keepLease(store, lease, slog.New(slog.DiscardHandler), nil, nil)
	defer keeper.end()
	first := lease.Expires
	deadline := time.Now().Add(20 * time.Second)
	for !keeper.Lease().Expires.After(first.Add(ttl)) {
		if time.Now().After(deadline) || keeper.Err() != nil {
			t.Fatalf("the lease was not renewed past its first TTL (err %v)", keeper.Err())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stats := newTopicStats(topic, nil, nil, nil)
	commit := time.Now().Add(-time.Hour)
	checkpoints := fencedCheckpoints{CheckpointStore: store, keeper: keeper, stats: stats}
	if err := checkpoints.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: []byte{1}, CommitTime: commit}); err != nil {
		t.Fatal(err)
	}
	snap := stats.snapshot(time.Now())
	if snap.LastCheckpointAt.IsZero() || snap.ReplayAge < time.Hour || snap.ReplayAge > 2*time.Hour {
		t.Fatalf("snapshot after a checkpoint: %+v, want its write time and a replay age of about 1 h", snap)
	}
}

func TestAStandbyRetriesWhenTheHeldLeaseWouldExpire(t *testing.T) {
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
