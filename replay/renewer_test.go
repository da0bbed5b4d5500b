package replay_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// renewCounter counts the RenewLeases round trips and the leases in them.
type renewCounter struct {
	replay.Store
	calls, leases atomic.Int64
}

func (c *renewCounter) RenewLeases(ctx context.Context, leases []replay.Lease) ([]replay.Lease, []error) {
	c.calls.Add(1)
	c.leases.Add(int64(len(leases)))
	return c.Store.RenewLeases(ctx, leases)
}

// outcomes collects a Renewer's callbacks per lease.
type outcomes struct {
	mu      sync.Mutex
	renewed map[string]int
	ended   map[string][]error
	last    map[string]replay.Lease
	changed chan struct{}
}

func newOutcomes() *outcomes {
	return &outcomes{renewed: map[string]int{}, ended: map[string][]error{}, last: map[string]replay.Lease{}, changed: make(chan struct{}, 1)}
}

func (o *outcomes) on(name string) func(replay.Lease, error) {
	return func(l replay.Lease, err error) {
		o.mu.Lock()
		switch {
		case err == nil:
			o.renewed[name]++
			o.last[name] = l
		case errors.Is(err, replay.ErrFenced) || errors.Is(err, replay.ErrLeaseDeadline):
			o.ended[name] = append(o.ended[name], err)
		}
		o.mu.Unlock()
		select {
		case o.changed <- struct{}{}:
		default:
		}
	}
}

// await waits until cond holds over the outcomes (the give-up only stops a
// broken renewer from hanging the run; nothing depends on timing).
func (o *outcomes) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	giveUp := time.After(60 * time.Second)
	for {
		o.mu.Lock()
		ok := cond()
		o.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-o.changed:
		case <-giveUp:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// Thirty leases of three integrations (Scoped views of one store) are kept
// past several TTLs by a few round trips at the store under the views, and
// the one another holder takes over ends with ErrFenced, alone.
func TestARenewerKeepsManyLeasesInFewRoundTrips(t *testing.T) {
	t.Parallel()
	base := &renewCounter{Store: newFileStore(t)}
	const ttl = 3 * time.Second
	const org = "00D5e000000TEST"
	var r replay.Renewer
	out := newOutcomes()
	type held struct {
		store replay.Store
		lease replay.Lease
		h     *replay.Held
	}
	var all []held
	for s := range 3 {
		view := replay.NewScoped(base, fmt.Sprintf("acme/i%d", s))
		for i := range 10 {
			lease, err := view.AcquireLease(t.Context(), org, fmt.Sprintf("/data/Obj%dChangeEvent", i), "instance-a", ttl)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, held{store: view, lease: lease})
		}
	}
	for i := range all {
		all[i].h = r.Hold(all[i].store, all[i].lease, out.on(fmt.Sprint(i)))
	}
	defer func() {
		for _, h := range all {
			h.h.Stop()
		}
	}()
	out.await(t, "every lease renewed four times", func() bool {
		for i := range all {
			if out.renewed[fmt.Sprint(i)] < 4 {
				return false
			}
		}
		return true
	})
	calls, leases := base.calls.Load(), base.leases.Load()
	if calls*5 > leases {
		t.Errorf("%d round trips for %d renewals: want at least 5 leases per round trip", calls, leases)
	}
	t.Logf("%d round trips for %d renewals", calls, leases)
	// Past a TTL since they were taken, each lease still writes: renewed, and
	// handed back under the view's own org name.
	for i, h := range all {
		out.mu.Lock()
		l := out.last[fmt.Sprint(i)]
		out.mu.Unlock()
		if l.Org != org || l.Token != h.lease.Token || !l.Expires.After(h.lease.Expires) {
			t.Fatalf("lease %d renewed as %+v, taken as %+v", i, l, h.lease)
		}
		if err := h.store.SaveCheckpoint(t.Context(), l, replay.Checkpoint{ReplayID: []byte{1}, CommitTime: time.Now()}); err != nil {
			t.Fatalf("lease %d after %s: %v", i, ttl, err)
		}
	}

	// Another holder takes lease 7 over: it alone ends, fenced, once.
	taken := all[7]
	if err := taken.store.ReleaseLease(t.Context(), taken.lease); err != nil {
		t.Fatal(err)
	}
	if _, err := taken.store.AcquireLease(t.Context(), org, taken.lease.Topic, "instance-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	base0 := out.renewed["0"]
	out.mu.Unlock()
	out.await(t, "lease 7 fenced and lease 0 renewed twice more", func() bool {
		return len(out.ended["7"]) > 0 && out.renewed["0"] >= base0+2
	})
	out.mu.Lock()
	defer out.mu.Unlock()
	for i := range all {
		name := fmt.Sprint(i)
		switch {
		case i == 7 && (len(out.ended[name]) != 1 || !errors.Is(out.ended[name][0], replay.ErrFenced)):
			t.Errorf("the lease taken over ended with %v, want ErrFenced once", out.ended[name])
		case i != 7 && len(out.ended[name]) != 0:
			t.Errorf("lease %d ended with %v, want still held", i, out.ended[name])
		}
	}
}

// A lease whose local deadline has passed (a holder paused past it) ends
// with ErrLeaseDeadline without a renewal, and a stopped lease hears
// nothing more.
func TestARenewerEndsALeasePastItsDeadlineAndStopsQuietly(t *testing.T) {
	t.Parallel()
	store := newFileStore(t)
	const org = "00D5e000000TEST"
	lease, err := store.AcquireLease(t.Context(), org, "/data/CaseChangeEvent", "instance-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	paused := lease
	paused.Expires = time.Now().Add(-time.Millisecond)
	var r replay.Renewer
	out := newOutcomes()
	h := r.Hold(store, paused, out.on("paused"))
	defer h.Stop()
	out.await(t, "the paused lease to end", func() bool { return len(out.ended["paused"]) > 0 })
	if errs := out.ended["paused"]; len(errs) != 1 || !errors.Is(errs[0], replay.ErrLeaseDeadline) || out.renewed["paused"] != 0 {
		t.Fatalf("ended with %v after %d renewals, want ErrLeaseDeadline and none", errs, out.renewed["paused"])
	}

	other, err := store.AcquireLease(t.Context(), org, "/data/TaskChangeEvent", "instance-a", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	h2 := r.Hold(store, other, func(replay.Lease, error) { calls.Add(1) })
	h2.Stop()
	after := calls.Load()
	// A lease of its own keeps the renewer busy over the stopped lease's
	// TTL: the stopped lease hears nothing in that time.
	busy, err := store.AcquireLease(t.Context(), org, "/data/AccountChangeEvent", "instance-a", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	out2 := newOutcomes()
	h3 := r.Hold(store, busy, out2.on("busy"))
	defer h3.Stop()
	out2.await(t, "three renewals of another lease", func() bool { return out2.renewed["busy"] >= 3 })
	if calls.Load() != after {
		t.Fatalf("a stopped lease heard %d outcomes after Stop", calls.Load()-after)
	}
}
