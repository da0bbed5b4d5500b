package pubsub_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// receive waits a bounded time for the next message, so a regression that
// stops the stream fails the test instead of hanging it.
func receive(t *testing.T, sub *pubsub.Subscription) pubsub.Message {
	t.Helper()
	select {
	case m, ok := <-sub.Messages():
		if !ok {
			t.Fatalf("the subscription ended: %v", sub.Err())
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatalf("no message within 30 s (stats %+v)", sub.Stats())
		return pubsub.Message{}
	}
}

// A stream that ends while a response is only partly handed out gives the
// rest back: the next stream fetches those events again and must not count
// them twice. Otherwise the in-flight counts creep up with every reconnect
// until the caps throttle a consumer that holds nothing.
func TestInFlightCountsReturnToZeroAcrossStreamEnds(t *testing.T) {
	t.Parallel()
	const events, capEvents = 1500, 300
	o := startObservedSim(t, sfsim.Config{Seed: 31}, time.Minute)
	want := o.createCases(t, events)
	o.faults.Set(sfsim.FaultSettings{EndStreamAfterEvents: 70})
	c := o.client(t, nil, func(cfg *pubsub.Config) { cfg.MaxInFlightEvents = capEvents })
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := recordIDs(collect(t, sub, events))
	if !slices.Equal(got, want) {
		t.Fatalf("received %d record IDs, not the %d created, in order", len(got), len(want))
	}
	st := sub.Stats()
	if st.Reconnects < 10 {
		t.Fatalf("only %d reconnects: the fault did not end the streams", st.Reconnects)
	}
	if st.InFlight != 0 || st.InFlightBytes != 0 {
		t.Fatalf("every event was released, yet %d events (%d bytes) are still counted in flight after %d reconnects",
			st.InFlight, st.InFlightBytes, st.Reconnects)
	}
	// The consumer released each event as it arrived, so every new stream
	// had the room to ask for the server's full 100.
	for i, s := range o.snapshot() {
		if s.firstRequested != 100 {
			t.Fatalf("stream %d of %d asked for %d events, want 100", i+1, st.Reconnects+1, s.firstRequested)
		}
	}
}

// With the byte cap already exceeded no top-up is sent: only the first
// request's credits arrive. Releasing the events resumes the fetching.
func TestTheInFlightByteCapPausesTopUpsUntilReleased(t *testing.T) {
	t.Parallel()
	const events = 200
	o := startObservedSim(t, sfsim.Config{Seed: 32}, 30*time.Millisecond)
	o.createCases(t, events)
	c := o.client(t, nil, func(cfg *pubsub.Config) { cfg.MaxInFlightBytes = 1 })
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	var held []pubsub.Message
	for keepalives := 0; keepalives < 3; { // the server went idle: nothing more is owed
		if m := receive(t, sub); m.IsKeepalive() {
			keepalives++
		} else {
			held = append(held, m)
		}
	}
	first := o.snapshot()[0].firstRequested
	if first != 100 || len(held) != int(first) {
		t.Fatalf("%d events arrived past a 1-byte cap, want exactly the first request's %d (of 100)", len(held), first)
	}
	if st := sub.Stats(); st.InFlightBytes <= 1 || st.Outstanding != 0 {
		t.Fatalf("stats %+v: want the held bytes counted and nothing owed", st)
	}
	for _, m := range held {
		sub.Release(m)
	}
	if rest := collect(t, sub, events-len(held)); len(rest) != events-len(held) {
		t.Fatalf("after the releases %d more events arrived, want %d", len(rest), events-len(held))
	}
}

// A keepalive exposes the response's latest_replay_id, which moves past
// events of other channels, not the position of the last event delivered.
func TestAKeepalivesPositionIsItsLatestReplayID(t *testing.T) {
	t.Parallel()
	o := startObservedSim(t, sfsim.Config{Seed: 33}, 20*time.Millisecond)
	o.createCases(t, 3)
	sub := o.client(t, nil, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	cases := collect(t, sub, 3)
	if _, err := o.org.Create("Task", sfsim.Values{"Subject": "on another channel"}); err != nil {
		t.Fatal(err)
	}
	tip := sfsim.EncodeReplayID(o.bus.Tip())
	var positions [][]byte
	for len(positions) == 0 || !bytes.Equal(positions[len(positions)-1], tip) {
		if len(positions) == 50 {
			t.Fatalf("50 keepalives at %x, none at the bus tip %x past the last case %x", positions, tip, cases[2].ReplayID)
		}
		m := receive(t, sub)
		if !m.IsKeepalive() {
			t.Fatalf("an unexpected event after the three cases: %+v", m)
		}
		positions = append(positions, m.Position)
	}
	sent := o.snapshot()[0].keepalives
	if len(sent) < len(positions) || !slices.EqualFunc(positions, sent[:len(positions)], bytes.Equal) {
		t.Fatalf("keepalive positions %x, want the latest_replay_id of each keepalive sent %x", positions, sent)
	}
}

// reissuingCredentials mints a fresh simulator token on each refresh.
type reissuingCredentials struct {
	o *observedSim

	mu        sync.Mutex
	token     string
	refreshes int
}

func (c *reissuingCredentials) Current(context.Context) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" {
		c.token = c.o.tokens.Issue()
	}
	return salesforce.Session{AccessToken: c.token, InstanceURL: sfsim.DefaultInstanceURL, TenantID: c.o.org.ID()}, nil
}

func (c *reissuingCredentials) Refresh(ctx context.Context, _ salesforce.Session) (salesforce.Session, error) {
	c.mu.Lock()
	c.token = c.o.tokens.Issue()
	c.refreshes++
	c.mu.Unlock()
	return c.Current(ctx)
}

// Whatever ends a stream (the server's UNAVAILABLE, the watchdog giving up
// on a silent stream, an expired session), the old stream is gone on the
// server before the next one opens: never two streams for one topic.
func TestOneLiveStreamPerTopicAcrossReconnects(t *testing.T) {
	t.Parallel()
	o := startObservedSim(t, sfsim.Config{Seed: 34}, time.Minute)
	creds := &reissuingCredentials{o: o}
	c := o.client(t, creds, func(cfg *pubsub.Config) { cfg.Watchdog = 300 * time.Millisecond })
	o.faults.Set(sfsim.FaultSettings{EndStreamAfterEvents: 40})
	want := o.createCases(t, 120)
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := recordIDs(collect(t, sub, 120))
	opened := []int{len(o.snapshot())}

	o.faults.Set(sfsim.FaultSettings{StallAfterEvents: 10, Once: true})
	want = append(want, o.createCases(t, 30)...)
	got = append(got, recordIDs(collect(t, sub, 30))...)
	opened = append(opened, len(o.snapshot()))

	o.tokens.RevokeAll()
	want = append(want, o.createCases(t, 20)...)
	got = append(got, recordIDs(collect(t, sub, 20))...)
	opened = append(opened, len(o.snapshot()))

	if !slices.Equal(got, want) {
		t.Fatalf("received %d record IDs, not the %d created, in order", len(got), len(want))
	}
	// Streams opened by the end of each phase: the server's ends, then the
	// watchdog, then the expired session must each have forced new ones.
	if opened[0] < 3 || opened[1] <= opened[0] || opened[2] <= opened[1] || creds.refreshesSoFar() != 1 {
		t.Fatalf("streams opened by phase %v with %d refreshes: a fault did not force a reconnect", opened, creds.refreshesSoFar())
	}
	streams := o.snapshot()
	for i, s := range streams {
		if s.liveAtOpen != 0 || s.topic != "/data/CaseChangeEvent" {
			t.Fatalf("stream %d of %d (topic %q) opened while %d earlier streams were still open", i+1, len(streams), s.topic, s.liveAtOpen)
		}
	}
}

func (c *reissuingCredentials) refreshesSoFar() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refreshes
}

func TestASubscriptionToAMissingTopicEndsWithErrTopicNotFound(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 35}, time.Minute)
	sub := h.client(t, nil, nil).Subscribe(t.Context(), "/data/NoSuchObject__ChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	for m := range sub.Messages() {
		t.Fatalf("a message from a missing topic: %+v", m)
	}
	err := sub.Err()
	var se *pubsub.StreamError
	if !errors.Is(err, pubsub.ErrTopicNotFound) || !errors.As(err, &se) || se.SFCode != sfsim.CodeTopicNotFound {
		t.Fatalf("got %v, want ErrTopicNotFound with %s", err, sfsim.CodeTopicNotFound)
	}
	if !strings.Contains(err.Error(), "/data/NoSuchObject__ChangeEvent") || !strings.Contains(err.Error(), "check the topic name") {
		t.Fatalf("the error %q names neither the topic nor the fix", err)
	}
	if n := sub.Stats().Reconnects; n != 0 {
		t.Fatalf("%d reconnects to a missing topic, want none", n)
	}
}

// An event whose schema ID GetSchema does not know ends the subscription
// with ErrUnknownSchema, before that event and with a message about the
// schema, not the topic. The events it held back are no longer counted.
func TestAnEventWithAnUnknownSchemaIDEndsWithErrUnknownSchema(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 36}, time.Minute)
	want := h.createCases(t, 2)
	h.sim.Bus.Append(sfsim.BusEvent{Entity: "Case", EventUUID: "3f1d8c2e-0000-4000-8000-000000000001", SchemaID: "bogusSchemaID", Payload: []byte{2, 'x'}})
	h.createCases(t, 1)
	sub := h.client(t, nil, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	var got []*pubsub.Event
	for m := range sub.Messages() {
		if m.Poison != nil {
			t.Fatalf("the unknown schema became poison (skipped): %v", m.Poison)
		}
		if m.Event != nil {
			got = append(got, m.Event)
		}
		sub.Release(m)
	}
	if !slices.Equal(recordIDs(got), want) {
		t.Fatalf("delivered %v, want only the %v before the unknown schema", recordIDs(got), want)
	}
	err := sub.Err()
	if !errors.Is(err, pubsub.ErrUnknownSchema) || errors.Is(err, pubsub.ErrTopicNotFound) {
		t.Fatalf("got %v, want ErrUnknownSchema and not ErrTopicNotFound", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "bogusSchemaID") || strings.Contains(msg, "check the topic name") {
		t.Fatalf("the message %q should name the schema ID and not blame the topic name", msg)
	}
	if st := sub.Stats(); st.InFlight != 0 || st.InFlightBytes != 0 {
		t.Fatalf("%d events (%d bytes) still counted in flight after everything delivered was released", st.InFlight, st.InFlightBytes)
	}
}
