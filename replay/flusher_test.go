package replay_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// countingStore passes checkpoint writes to a real store, counting them and
// failing the first failFirst ones as an unreachable store would.
type countingStore struct {
	replay.CheckpointStore
	saves     atomic.Int32
	failFirst atomic.Int32
}

var errStoreDown = errors.New("store down")

func (c *countingStore) SaveCheckpoint(ctx context.Context, lease replay.Lease, cp replay.Checkpoint) error {
	if c.failFirst.Add(-1) >= 0 {
		return errStoreDown
	}
	c.saves.Add(1)
	return c.CheckpointStore.SaveCheckpoint(ctx, lease, cp)
}

const flushOrg, flushTopic = "00Dorg", "/data/CaseChangeEvent"

func newFlushFixture(t *testing.T, ttl time.Duration) (*replay.FileStore, *countingStore, *replay.Tracker, replay.Lease) {
	t.Helper()
	store := newFileStore(t)
	lease, err := store.AcquireLease(t.Context(), flushOrg, flushTopic, "a", ttl)
	noErr(t, "AcquireLease", err)
	return store, &countingStore{CheckpointStore: store}, replay.NewTracker(8), lease
}

func readFlushed(t *testing.T, store replay.Store) replay.Checkpoint {
	t.Helper()
	cp, err := store.Checkpoint(t.Context(), flushOrg, flushTopic)
	noErr(t, "Checkpoint", err)
	return cp
}

func TestFlusherWritesTheCommittablePositionOnlyWhenItMoved(t *testing.T) {
	t.Parallel()
	store, counting, tr, lease := newFlushFixture(t, time.Minute)
	f := replay.NewFlusher(counting, tr, lease, replay.FlusherOptions{})
	ctx := t.Context()

	noErr(t, "Flush with nothing committable", f.Flush(ctx))
	if counting.saves.Load() != 0 {
		t.Fatalf("%d writes with nothing committable", counting.saves.Load())
	}
	seqs := trackN(t, tr, 3)
	noErr(t, "Done", tr.Done(seqs[1]))
	noErr(t, "Flush behind an unfinished head", f.Flush(ctx))
	if counting.saves.Load() != 0 {
		t.Fatalf("wrote although position 1 is unfinished")
	}
	noErr(t, "Done", tr.Done(seqs[0]))
	noErr(t, "Flush", f.Flush(ctx))
	noErr(t, "Flush again", f.Flush(ctx))
	if n := counting.saves.Load(); n != 1 {
		t.Errorf("%d writes, want 1 (the second Flush had nothing new)", n)
	}
	cp := readFlushed(t, store)
	if ridNumber(cp.ReplayID) != 2 || cp.Token != lease.Token || !cp.CommitTime.Equal(time.Unix(2, 0)) {
		t.Errorf("checkpoint %+v, want position 2 under token %d", cp, lease.Token)
	}
	if f.Written() != seqs[1] {
		t.Errorf("Written = %d, want %d", f.Written(), seqs[1])
	}
	tr.TrackIdle(rid(2), time.Unix(9, 0)) // not idle: 3 is in flight
	noErr(t, "Done", tr.Done(seqs[2]))
	tr.TrackIdle(rid(99), time.Unix(9, 0))
	noErr(t, "Flush", f.Flush(ctx))
	if cp := readFlushed(t, store); ridNumber(cp.ReplayID) != 99 || counting.saves.Load() != 2 {
		t.Errorf("after the keepalive: %+v after %d writes", cp, counting.saves.Load())
	}
}

func TestFlusherRunWritesOnItsIntervalAndRetriesAfterErrors(t *testing.T) {
	t.Parallel()
	store, counting, tr, lease := newFlushFixture(t, time.Minute)
	counting.failFirst.Store(2)
	var mu sync.Mutex
	var reported []error
	f := replay.NewFlusher(counting, tr, lease, replay.FlusherOptions{
		Interval: time.Millisecond,
		OnError:  func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() },
	})
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- f.Run(ctx) }()

	seqs := trackN(t, tr, 1)
	noErr(t, "Done", tr.Done(seqs[0]))
	poll(t, func() bool { return f.Written() == seqs[0] })
	cancel()
	noErr(t, "Run", <-runErr)
	if cp := readFlushed(t, store); ridNumber(cp.ReplayID) != 1 {
		t.Errorf("checkpoint %x", cp.ReplayID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 2 || !errors.Is(reported[0], errStoreDown) {
		t.Errorf("OnError got %v, want the 2 failures", reported)
	}
}

// The lease runs out on synctest's fake clock: no spinning on the wall
// clock until another holder can take it.
func TestFlusherRunStopsWithErrFencedWhenTheLeaseIsLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, _, tr, lease := newFlushFixture(t, 20*time.Millisecond)
		f := replay.NewFlusher(store, tr, lease, replay.FlusherOptions{Interval: time.Millisecond})
		time.Sleep(21 * time.Millisecond)
		_, err := store.AcquireLease(t.Context(), flushOrg, flushTopic, "b", time.Minute)
		noErr(t, "AcquireLease after the first lease ran out", err)
		seqs := trackN(t, tr, 1)
		noErr(t, "Done", tr.Done(seqs[0]))
		wantErr(t, "Run", f.Run(t.Context()), replay.ErrFenced)
		_, err = store.Checkpoint(t.Context(), flushOrg, flushTopic)
		wantErr(t, "Checkpoint", err, replay.ErrNotFound)
	})
}

// poll waits for cond; the bound only guards against a hang.
func poll(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never became true")
		}
		time.Sleep(time.Millisecond)
	}
}

// Start writes what moved an interval later (retrying failures), writes
// nothing while the position stays, and nothing after stop.
func TestFlusherStartWritesWhatMovedRetriesAndStopsQuietly(t *testing.T) {
	t.Parallel()
	store, counting, tr, lease := newFlushFixture(t, time.Minute)
	counting.failFirst.Store(2)
	var mu sync.Mutex
	var reported []error
	f := replay.NewFlusher(counting, tr, lease, replay.FlusherOptions{
		Interval: time.Millisecond,
		OnError:  func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() },
	})
	stop := f.Start(t.Context(), func(err error) { t.Errorf("fenced: %v", err) })
	seqs := trackN(t, tr, 2)
	noErr(t, "Done", tr.Done(seqs[0]))
	poll(t, func() bool { return f.Written() == seqs[0] })
	noErr(t, "Done", tr.Done(seqs[1]))
	poll(t, func() bool { return f.Written() == seqs[1] })
	stop()
	saves := counting.saves.Load()
	if cp := readFlushed(t, store); ridNumber(cp.ReplayID) != 2 || saves != 2 {
		t.Errorf("checkpoint %x after %d writes, want the second position in 2", cp.ReplayID, saves)
	}
	// After stop a move arms nothing: the final Flush is the caller's.
	more := trackN(t, tr, 1)
	noErr(t, "Done", tr.Done(more[0]))
	if f.Written() != seqs[1] || counting.saves.Load() != saves {
		t.Errorf("a write after stop: written %d, %d writes", f.Written(), counting.saves.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 2 || !errors.Is(reported[0], errStoreDown) {
		t.Errorf("OnError got %v, want the 2 failures", reported)
	}
}

// A fenced write ends Start's writes and reaches onFenced once.
func TestFlusherStartHandsAFencedWriteToOnFenced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, _, tr, lease := newFlushFixture(t, 20*time.Millisecond)
		f := replay.NewFlusher(store, tr, lease, replay.FlusherOptions{Interval: time.Millisecond})
		fenced := make(chan error, 2)
		stop := f.Start(t.Context(), func(err error) { fenced <- err })
		defer stop()
		time.Sleep(21 * time.Millisecond)
		_, err := store.AcquireLease(t.Context(), flushOrg, flushTopic, "b", time.Minute)
		noErr(t, "AcquireLease after the first lease ran out", err)
		seqs := trackN(t, tr, 2)
		noErr(t, "Done", tr.Done(seqs[0]))
		wantErr(t, "onFenced", <-fenced, replay.ErrFenced)
		noErr(t, "Done", tr.Done(seqs[1]))
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if len(fenced) != 0 {
			t.Errorf("onFenced called again: %v", <-fenced)
		}
		_, err = store.Checkpoint(t.Context(), flushOrg, flushTopic)
		wantErr(t, "Checkpoint", err, replay.ErrNotFound)
	})
}
