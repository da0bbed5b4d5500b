package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Preset is where a subscription starts when it has no replay ID.
type Preset int

// Start points, as the Pub/Sub API names them.
const (
	Latest Preset = iota
	Earliest
	Custom // after Start.ReplayID
)

// Start says where a subscription begins.
type Start struct {
	Preset   Preset
	ReplayID []byte // with Custom: delivery starts after this event
}

// After starts after the given replay ID.
func After(replayID []byte) Start { return Start{Preset: Custom, ReplayID: replayID} }

// Message is one item of a subscription, in replay order: a decoded event,
// an event that could not be decoded (Poison, with its replay ID), or a
// keepalive (both nil). Position is where the stream stands once this
// message is handled; committing it after handling loses nothing.
type Message struct {
	Event    *Event
	Poison   *PoisonError
	Position []byte
	Size     int // payload bytes counted against MaxInFlightBytes
}

// IsKeepalive reports whether the message carries only a position.
func (m Message) IsKeepalive() bool { return m.Event == nil && m.Poison == nil }

// Stats are counters of a subscription, safe to read at any time.
type Stats struct {
	Reconnects    int64 // streams re-opened after a failure
	Outstanding   int64 // events the server currently owes
	InFlight      int64 // events received and not yet released
	InFlightBytes int64 // payload bytes of those events
	Keepalives    int64
	Events        int64
}

// messageBuffer is the capacity of Messages(). A full buffer only makes the
// subscription's goroutine wait to hand the next message out (cancellation
// still ends the wait; a keepalive is dropped, a later message carries a
// newer position); credits and MaxInFlightEvents bound what is received.
// Sizing it to the in-flight window (1,116 messages of 48 bytes) cost 53 KB
// per subscription, 160 MB for the 3,000 mostly idle topics of one sfcdc
// serve, for no throughput: the consumer reads as fast as it handles.
const messageBuffer = 64

// Subscription is one topic's reconnecting stream.
type Subscription struct {
	client   *Client
	topic    string
	messages chan Message
	done     chan struct{}
	cancel   context.CancelFunc
	err      error

	mu            sync.Mutex
	inFlight      int
	inFlightBytes int
	wake          chan struct{} // capacity 1: credits may be topped up
	mayFetch      func() bool   // FetchWhile's gate; always true without it
	position      []byte        // after the last message handed out

	reconnects, outstanding, keepalives, events atomic.Int64
}

// Subscribe starts streaming topic from start. Messages arrive in replay
// order on Messages(); release each event or poison message with Release
// once handled, or credits stop. The subscription reconnects by itself and
// ends only when ctx is cancelled, Stop is called, or a terminal error
// occurs (see Err).
func (c *Client) Subscribe(ctx context.Context, topic string, start Start, opts ...SubscribeOption) *Subscription {
	ctx, cancel := context.WithCancel(ctx)
	s := &Subscription{
		client:   c,
		topic:    topic,
		messages: make(chan Message, messageBuffer),
		done:     make(chan struct{}),
		cancel:   cancel,
		wake:     make(chan struct{}, 1),
		mayFetch: func() bool { return true },
	}
	for _, opt := range opts {
		opt(s)
	}
	go func() {
		defer close(s.done)
		defer close(s.messages)
		s.err = s.run(ctx, start)
	}()
	return s
}

// SubscribeOption adjusts one subscription.
type SubscribeOption func(*Subscription)

// FetchWhile makes the subscription ask for events (open a stream, send a
// first request or top credits up) only while mayFetch reports true. The
// pipeline passes its lease check: a process that wakes from a pause after
// its lease expired requests nothing more, even before the code that
// stops it has run. mayFetch must be cheap and safe for concurrent use.
func FetchWhile(mayFetch func() bool) SubscribeOption {
	return func(s *Subscription) { s.mayFetch = mayFetch }
}

// errFetchGateClosed ends a stream attempt whose FetchWhile gate closed;
// the caller is expected to stop the subscription.
var errFetchGateClosed = errors.New("the subscription's fetch gate is closed (the topic's lease was lost)")

// Messages delivers the subscription's messages; it is closed at the end.
func (s *Subscription) Messages() <-chan Message { return s.messages }

// Err is the terminal error once Messages is closed (nil after Stop or
// cancellation).
func (s *Subscription) Err() error {
	<-s.done
	return s.err
}

// Stop ends the subscription and waits for its goroutines.
func (s *Subscription) Stop() {
	s.cancel()
	<-s.done
}

// Release tells the subscription an event (or poison) message was handled,
// freeing room for more credits. Keepalives need no release.
func (s *Subscription) Release(m Message) {
	if m.IsKeepalive() {
		return
	}
	s.mu.Lock()
	s.inFlight--
	s.inFlightBytes -= m.Size
	s.mu.Unlock()
	s.signal()
}

// Stats returns current counters.
func (s *Subscription) Stats() Stats {
	inFlight, inFlightBytes := s.inFlightNow()
	return Stats{
		Reconnects:    s.reconnects.Load(),
		Outstanding:   s.outstanding.Load(),
		InFlight:      int64(inFlight),
		InFlightBytes: int64(inFlightBytes),
		Keepalives:    s.keepalives.Load(),
		Events:        s.events.Load(),
	}
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run keeps a stream open until a terminal error or cancellation.
func (s *Subscription) run(ctx context.Context, start Start) error {
	if start.Preset == Custom && len(start.ReplayID) == 0 {
		return fmt.Errorf("subscribe to %s: a custom start needs a replay ID", s.topic)
	}
	bo := retry.Policy{Initial: s.client.cfg.BackoffInitial, Max: s.client.cfg.BackoffMax}.Backoff()
	log := s.client.cfg.Logger.With("topic", s.topic)
	for {
		sess, err := s.client.creds.Current(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, salesforce.ErrCannotRefresh):
			// No session can be had without a person (a refused grant or
			// client, a fixed token): stop with the reason.
			return fmt.Errorf("subscribe to %s: %w", s.topic, err)
		case err != nil:
			// The token endpoint failed or is backing off: a session may
			// come on a later try.
			if !s.waitToReconnect(ctx, bo, log, "no Salesforce session yet; retrying", err) {
				return nil
			}
			continue
		}
		end := s.attempt(ctx, s.resumeFrom(start))
		if ctx.Err() != nil {
			return nil
		}
		if end.progressed {
			bo.Reset()
		}
		kind, err := classify(s.topic, end.err, end.sfCode)
		switch kind {
		case failTerminal:
			return err
		case failAuth:
			if _, rerr := s.client.creds.Refresh(ctx, sess); rerr != nil {
				if errors.Is(rerr, salesforce.ErrCannotRefresh) {
					return fmt.Errorf("%w: %w", err, rerr)
				}
				log.Warn("session refresh failed; will retry", "error", rerr)
			} else {
				log.Info("session refreshed after the server rejected it")
			}
		}
		if !s.waitToReconnect(ctx, bo, log, "stream ended; resubscribing", err) {
			return nil
		}
	}
}

// waitToReconnect waits the reconnect policy's next wait (retry package:
// BackoffInitial doubling to BackoffMax, with jitter; no attempt bound, a
// topic reconnects until it is stopped). It reports false when ctx ended.
func (s *Subscription) waitToReconnect(ctx context.Context, bo *retry.Backoff, log *slog.Logger, msg string, err error) bool {
	delay, _ := bo.Next()
	s.reconnects.Add(1)
	log.Warn(msg, "error", err, "after", delay)
	return retry.SleepTimer(ctx, delay) == nil
}

// resumeFrom is the start of the next stream: right after the last message
// handed to the caller, so nothing is lost or repeated.
func (s *Subscription) resumeFrom(start Start) Start {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.position != nil {
		return After(s.position)
	}
	return start
}

// streamResult is one Recv result with the error-code trailer of a failure.
type streamResult struct {
	resp   *eventbusv1.FetchResponse
	err    error
	sfCode string
}

// streamEnd is how one stream attempt ended: the error with Salesforce's
// error-code trailer, and whether the server answered at least once.
type streamEnd struct {
	progressed bool
	err        error
	sfCode     string
}

// attempt runs one Subscribe stream until it fails.
func (s *Subscription) attempt(ctx context.Context, start Start) streamEnd {
	progressed := false
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	if !s.mayFetch() {
		return streamEnd{err: errFetchGateClosed}
	}
	stream, err := s.client.api.Subscribe(sctx)
	if err != nil {
		return streamEnd{err: err}
	}
	// held is what this stream counted in flight and has not handed out
	// yet. A stream that fails mid-response gives it back: the next stream
	// fetches those events again and counts them then.
	var held heldEvents
	defer s.giveBack(&held)
	credits := &credits{cfg: s.client.cfg, sub: s}
	first := &eventbusv1.FetchRequest{TopicName: s.topic, NumRequested: int32(credits.initial())}
	switch start.Preset {
	case Earliest:
		first.ReplayPreset = eventbusv1.ReplayPreset_EARLIEST
	case Custom:
		first.ReplayPreset = eventbusv1.ReplayPreset_CUSTOM
		first.ReplayId = start.ReplayID
	}
	if first.NumRequested == 0 {
		first.NumRequested = 1 // the API rejects 0; one event of slack over the cap
		credits.pending = 1
	}
	s.outstanding.Store(int64(credits.pending))
	recv := make(chan streamResult)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			resp, err := stream.Recv()
			r := streamResult{resp: resp, err: err}
			if err != nil {
				if v := stream.Trailer().Get("error-code"); len(v) > 0 {
					r.sfCode = v[0]
				}
			}
			select {
			case recv <- r:
			case <-sctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	if err := stream.Send(first); err != nil {
		return recvFailure(ctx, recv, err, false)
	}
	watchdog := time.NewTimer(s.client.cfg.Watchdog)
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			return streamEnd{progressed, ctx.Err(), ""}
		case <-watchdog.C:
			return streamEnd{progressed, errWatchdog, ""}
		case <-s.wake:
		case r := <-recv:
			if r.err != nil {
				return streamEnd{progressed, r.err, r.sfCode}
			}
			progressed = true
			watchdog.Reset(s.client.cfg.Watchdog)
			// Count the events as in flight and ask for more before decoding,
			// so the server fills the next response while this one decodes.
			credits.received(len(r.resp.GetEvents()))
			held = s.addInFlight(r.resp.GetEvents())
			if err := credits.topUp(stream); err != nil {
				return recvFailure(ctx, recv, err, progressed)
			}
			if err := s.deliver(ctx, r.resp, &held); err != nil {
				return streamEnd{progressed, err, ""}
			}
		}
		if err := credits.topUp(stream); err != nil {
			return recvFailure(ctx, recv, err, progressed)
		}
	}
}

// recvFailure explains a failed Send: the stream's real status (say, a
// rejected replay ID) arrives on the receive side.
func recvFailure(ctx context.Context, recv <-chan streamResult, sendErr error, progressed bool) streamEnd {
	for {
		select {
		case r := <-recv:
			if r.err != nil {
				return streamEnd{progressed, r.err, r.sfCode}
			}
		case <-ctx.Done():
			return streamEnd{progressed, sendErr, ""}
		}
	}
}

// deliver decodes a response's events and hands them out in order, taking
// each one handed out off held.
func (s *Subscription) deliver(ctx context.Context, resp *eventbusv1.FetchResponse, held *heldEvents) error {
	events := resp.GetEvents()
	if len(events) == 0 {
		s.keepalives.Add(1)
		if len(resp.GetLatestReplayId()) > 0 {
			s.handOutKeepalive(Message{Position: resp.GetLatestReplayId()})
		}
		return nil
	}
	for i, ce := range events {
		msg := Message{Position: ce.GetReplayId(), Size: len(ce.GetEvent().GetPayload())}
		if i == len(events)-1 && len(resp.GetLatestReplayId()) > 0 {
			msg.Position = resp.GetLatestReplayId()
		}
		ev, err := s.client.decoder.Decode(ctx, s.topic, ce)
		var poison *PoisonError
		switch {
		case errors.As(err, &poison):
			msg.Poison = poison
		case err != nil:
			// Not the event's fault (the schema fetch failed or the schema
			// ID is unknown): end this stream; the next one, if any,
			// resumes before this event. The decoder's error names the
			// replay and schema IDs.
			return err
		default:
			msg.Event = ev
		}
		if err := s.handOut(ctx, msg); err != nil {
			return err
		}
		held.events--
		held.bytes -= msg.Size
	}
	return nil
}

// heldEvents are events counted in flight but not yet handed to the caller.
type heldEvents struct{ events, bytes int }

// addInFlight counts received events against the in-flight caps and
// returns them as held until they are handed out.
func (s *Subscription) addInFlight(events []*eventbusv1.ConsumerEvent) heldEvents {
	held := heldEvents{events: len(events)}
	for _, ce := range events {
		held.bytes += len(ce.GetEvent().GetPayload())
	}
	s.mu.Lock()
	s.inFlight += held.events
	s.inFlightBytes += held.bytes
	s.mu.Unlock()
	return held
}

// giveBack uncounts events a failed stream never handed out: the caller
// will never release them, and the next stream counts them again when it
// fetches them.
func (s *Subscription) giveBack(held *heldEvents) {
	if held.events == 0 && held.bytes == 0 {
		return
	}
	s.mu.Lock()
	s.inFlight -= held.events
	s.inFlightBytes -= held.bytes
	s.mu.Unlock()
	*held = heldEvents{}
	s.signal()
}

// handOut queues an event (already counted in flight) and advances the
// position.
func (s *Subscription) handOut(ctx context.Context, msg Message) error {
	select {
	case s.messages <- msg:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.events.Add(1)
	s.mu.Lock()
	s.position = msg.Position
	s.mu.Unlock()
	return nil
}

// handOutKeepalive queues a position update unless the caller is behind, in
// which case a later message carries a newer position anyway.
func (s *Subscription) handOutKeepalive(msg Message) {
	select {
	case s.messages <- msg:
		s.mu.Lock()
		s.position = msg.Position
		s.mu.Unlock()
	default:
	}
}

func (s *Subscription) inFlightNow() (events, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight, s.inFlightBytes
}
