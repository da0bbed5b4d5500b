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

// statusCounter counts the SaveStatuses round trips and the documents in
// them; block, when set, holds each call until it is closed.
type statusCounter struct {
	replay.Store
	calls, docs atomic.Int64
	block       atomic.Pointer[chan struct{}]
	entered     chan struct{}
}

func (c *statusCounter) SaveStatuses(ctx context.Context, docs []replay.TopicStatus) []error {
	c.calls.Add(1)
	c.docs.Add(int64(len(docs)))
	if b := c.block.Load(); b != nil {
		select {
		case c.entered <- struct{}{}:
		default:
		}
		<-*b
	}
	return c.Store.SaveStatuses(ctx, docs)
}

// eventually waits until cond holds (the give-up only stops a broken
// batcher from hanging the run; nothing depends on timing).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	giveUp := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(giveUp) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The documents of thirty topics of three integrations (Scoped views of
// one store) are written in few round trips at the store under the views,
// each under its view's org; a changed one is written again within a
// round, not an Interval later.
func TestAStatusBatcherWritesManyTopicsInFewRoundTrips(t *testing.T) {
	t.Parallel()
	base := &statusCounter{Store: newFileStore(t)}
	const org = "00D5e000000TEST"
	b := &replay.StatusBatcher{Interval: time.Hour, Linger: 20 * time.Millisecond}
	var events [30]atomic.Int64
	var regs []*replay.StatusReg
	var views []replay.Store
	for s := range 3 {
		view := replay.NewScoped(base, fmt.Sprintf("acme/i%d", s))
		views = append(views, view)
		for i := range 10 {
			n := s*10 + i
			regs = append(regs, b.Register(view, org, fmt.Sprintf("/data/Obj%dChangeEvent", i), func() (replay.Status, bool) {
				return replay.Status{State: replay.StateStreaming, Events: events[n].Load()}, true
			}, func(err error) {
				if err != nil {
					t.Errorf("topic %d: %v", n, err)
				}
			}))
		}
	}
	defer func() {
		for _, r := range regs {
			r.Stop()
		}
	}()
	read := func(n int) (replay.Status, error) {
		return views[n/10].Status(t.Context(), org, fmt.Sprintf("/data/Obj%dChangeEvent", n%10))
	}
	eventually(t, "every topic's first document", func() bool {
		for n := range 30 {
			if _, err := read(n); err != nil {
				return false
			}
		}
		return true
	})
	if calls := base.calls.Load(); calls > 3 {
		t.Errorf("%d round trips for the 30 first documents, want at most 3", calls)
	}
	// Another integration's view of the same org sees none of them.
	if _, err := replay.NewScoped(base, "acme/other").Status(t.Context(), org, "/data/Obj1ChangeEvent"); !errors.Is(err, replay.ErrNotFound) {
		t.Errorf("another scope's read: %v, want ErrNotFound", err)
	}

	events[17].Store(42)
	regs[17].Changed()
	eventually(t, "the changed document", func() bool {
		st, err := read(17)
		return err == nil && st.Events == 42
	})
}

// Every registered topic is written again each Interval, in one round trip
// for all of them; a topic whose read says no (its lease not held) is not
// written at all.
func TestAStatusBatcherRewritesEveryTopicEachIntervalAndSkipsTheOnesNotHeld(t *testing.T) {
	t.Parallel()
	base := &statusCounter{Store: newFileStore(t)}
	const org = "00D5e000000TEST"
	const interval = 200 * time.Millisecond
	b := &replay.StatusBatcher{Interval: interval, Linger: 10 * time.Millisecond}
	var reads [5]atomic.Int64
	for i := range 5 {
		r := b.Register(base, org, fmt.Sprintf("/data/Obj%dChangeEvent", i), func() (replay.Status, bool) {
			reads[i].Add(1)
			return replay.Status{State: replay.StateStreaming, Events: reads[i].Load()}, i != 3
		}, nil)
		defer r.Stop()
		time.Sleep(interval / 5) // registered at different times
	}
	calls0, docs0 := base.calls.Load(), base.docs.Load()
	eventually(t, "six more rounds for every topic", func() bool {
		for i := range 5 {
			if reads[i].Load() < 7 {
				return false
			}
		}
		return true
	})
	if calls, docs := base.calls.Load()-calls0, base.docs.Load()-docs0; docs < 3*calls {
		t.Errorf("%d round trips for %d documents: want the topics registered apart to share rounds", calls, docs)
	} else {
		t.Logf("%d round trips for %d documents", calls, docs)
	}
	if _, err := base.Status(t.Context(), org, "/data/Obj3ChangeEvent"); !errors.Is(err, replay.ErrNotFound) {
		t.Errorf("the topic not held: %v, want never written", err)
	}
	st, err := base.Status(t.Context(), org, "/data/Obj0ChangeEvent")
	if err != nil || st.Events < 4 {
		t.Errorf("topic 0 after five rounds: %+v, %v; want rewritten each round", st, err)
	}
}

// Stop waits for a round that is writing the topic, and none writes it
// after: the caller's own last document is never overwritten by an older
// one. Stopping twice is harmless.
func TestAStoppedStatusRegIsNeverWrittenAgain(t *testing.T) {
	t.Parallel()
	base := &statusCounter{Store: newFileStore(t), entered: make(chan struct{}, 1)}
	const org, topic = "00D5e000000TEST", "/data/CaseChangeEvent"
	b := &replay.StatusBatcher{Interval: 50 * time.Millisecond, Linger: time.Millisecond}
	release := make(chan struct{})
	base.block.Store(&release)
	r := b.Register(base, org, topic, func() (replay.Status, bool) {
		return replay.Status{State: replay.StateStreaming}, true
	}, nil)
	<-base.entered // a round is writing the topic's document now

	var stopped atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() { r.Stop(); stopped.Store(true) })
	time.Sleep(50 * time.Millisecond)
	if stopped.Load() {
		t.Fatal("Stop returned while a round was writing the topic")
	}
	base.block.Store(nil)
	close(release)
	wg.Wait()

	// The caller's last word, then several Intervals: nothing overwrites it.
	if err := base.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateStopped}); err != nil {
		t.Fatal(err)
	}
	calls := base.calls.Load()
	time.Sleep(300 * time.Millisecond)
	st, err := base.Status(t.Context(), org, topic)
	if err != nil || st.State != replay.StateStopped {
		t.Errorf("after Stop: %+v, %v; want the caller's stopped document", st, err)
	}
	if more := base.calls.Load() - calls; more != 0 {
		t.Errorf("%d round trips after Stop with nothing registered", more)
	}
	r.Stop()
	r.Changed() // after Stop: nothing
}

// One integration whose documents cannot be written (its view refuses the
// org) fails alone: the other integrations' documents of the same round
// are written, and only its registration hears the failure.
func TestAStatusWriteRefusedForOneIntegrationLeavesTheOthersWritten(t *testing.T) {
	t.Parallel()
	base := &statusCounter{Store: newFileStore(t)}
	const org = "00D5e000000TEST"
	b := &replay.StatusBatcher{Interval: time.Hour, Linger: 20 * time.Millisecond}
	var mu sync.Mutex
	outcomes := map[string][]error{}
	done := func(name string) func(error) {
		return func(err error) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[name] = append(outcomes[name], err)
		}
	}
	read := func() (replay.Status, bool) { return replay.Status{State: replay.StateStreaming}, true }
	good := replay.NewScoped(base, "acme/good")
	broken := replay.NewScoped(base, "acme/broken")
	other := replay.NewScoped(base, "acme/other")
	regs := []*replay.StatusReg{
		b.Register(good, org, "/data/CaseChangeEvent", read, done("good")),
		b.Register(broken, "not an org ID!", "/data/CaseChangeEvent", read, done("broken")),
		b.Register(other, org, "/data/CaseChangeEvent", read, done("other")),
	}
	defer func() {
		for _, r := range regs {
			r.Stop()
		}
	}()
	eventually(t, "each registration's first outcome", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(outcomes) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	if err := outcomes["broken"][0]; err == nil {
		t.Error("the refused integration heard no failure")
	}
	for _, name := range []string{"good", "other"} {
		if err := outcomes[name][0]; err != nil {
			t.Errorf("%s heard %v, want its document written", name, err)
		}
	}
	for _, v := range []replay.Store{good, other} {
		if st, err := v.Status(t.Context(), org, "/data/CaseChangeEvent"); err != nil || st.State != replay.StateStreaming {
			t.Errorf("a healthy integration's document: %+v, %v", st, err)
		}
	}
}
