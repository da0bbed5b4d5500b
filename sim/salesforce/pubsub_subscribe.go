package salesforce

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc/codes"
)

// Subscribe serves one pull subscription: the first FetchRequest names the
// topic and start, later ones only add credits (capped at 100 outstanding).
func (s *pubSubService) Subscribe(stream eventbusv1.PubSub_SubscribeServer) error {
	ctx := stream.Context()
	t, token, authErr := s.authorize(ctx)
	if authErr != nil {
		return authErr.stream(stream, "Subscribe")
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	sub, sfErr := t.openSubscription(first)
	if sfErr != nil {
		return sfErr.stream(stream, "Subscribe")
	}
	sub.token = token
	go sub.readRequests(stream)
	if sfErr := s.serve(ctx, stream, sub); sfErr != nil {
		return sfErr.stream(stream, "Subscribe")
	}
	return nil
}

// subscription is the server-side state of one Subscribe stream.
type subscription struct {
	org   *tenant // the org the tenantid named: its bus, faults and sessions
	topic string
	keep  func(entity string) bool
	token string
	start uint64 // deliver events after this replay ID

	mu        sync.Mutex
	credits   int           // events still owed to the client
	requestCh chan struct{} // signalled when credits grow
	failed    *sfError      // a later request broke the protocol
	done      chan struct{} // the client half-closed or the stream failed
}

func (t *tenant) openSubscription(first *eventbusv1.FetchRequest) (*subscription, *sfError) {
	topic := first.GetTopicName()
	if topic == "" {
		return nil, &sfError{codes.InvalidArgument, CodeTopicEmpty, "Topic validation failed. The first fetch request must name a topic."}
	}
	entities, ok := t.topics.ChannelEntities(topic)
	if !ok {
		e := topicNotFound(topic)
		return nil, &e
	}
	if first.GetNumRequested() <= 0 {
		return nil, &sfError{codes.InvalidArgument, CodeRequestedInvalid, msgRequestedInvalid}
	}
	start, sfErr := t.startPosition(first)
	if sfErr != nil {
		return nil, sfErr
	}
	sub := &subscription{
		org:       t,
		topic:     topic,
		start:     start,
		keep:      func(entity string) bool { return slices.Contains(entities, entity) },
		credits:   min(int(first.GetNumRequested()), maxOutstanding),
		requestCh: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	return sub, nil
}

// startPosition resolves the replay option of the first request.
func (t *tenant) startPosition(first *eventbusv1.FetchRequest) (uint64, *sfError) {
	switch first.GetReplayPreset() {
	case eventbusv1.ReplayPreset_EARLIEST:
		return t.bus.StartEarliest(), nil
	case eventbusv1.ReplayPreset_CUSTOM:
		pos, err := t.bus.StartAfter(first.GetReplayId())
		switch {
		case errors.Is(err, ErrReplayExpired):
			return 0, &sfError{codes.InvalidArgument, CodeReplayCorrupted, msgReplayCorrupted}
		case err != nil:
			return 0, &sfError{codes.InvalidArgument, CodeReplayValidation, msgReplayValidation}
		}
		return pos, nil
	default:
		return t.bus.StartLatest(), nil
	}
}

// readRequests adds credits from later FetchRequests until the client stops.
func (sub *subscription) readRequests(stream eventbusv1.PubSub_SubscribeServer) {
	defer close(sub.done)
	for {
		req, err := stream.Recv()
		if err != nil {
			return
		}
		sub.mu.Lock()
		switch {
		case req.GetTopicName() != "" && req.GetTopicName() != sub.topic:
			sub.failed = &sfError{codes.InvalidArgument, CodeTopicMismatch, "The topic name in a fetch request must match the first request's topic."}
		case req.GetNumRequested() <= 0:
			sub.failed = &sfError{codes.InvalidArgument, CodeRequestedInvalid, msgRequestedInvalid}
		default:
			// Asking for more than 100 outstanding is treated as 100.
			sub.credits = min(sub.credits+int(req.GetNumRequested()), maxOutstanding)
		}
		failed := sub.failed != nil
		sub.mu.Unlock()
		select {
		case sub.requestCh <- struct{}{}:
		default:
		}
		if failed {
			return
		}
	}
}

func (sub *subscription) state() (credits int, failed *sfError) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.credits, sub.failed
}

func (sub *subscription) spend(n int) int {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.credits -= n
	return sub.credits
}

// serve delivers events and keepalives until the stream ends.
func (s *pubSubService) serve(ctx context.Context, stream eventbusv1.PubSub_SubscribeServer, sub *subscription) *sfError {
	pos := sub.start
	delivered := 0
	keepalive := time.NewTimer(s.keepalive)
	defer keepalive.Stop()
	out := newWire(ctx, stream)
	defer out.close()
	for {
		credits, failed := sub.state()
		if failed != nil {
			return failed
		}
		if err := out.failed(); err != nil {
			return &sfError{codes.Unavailable, "", err.Error()}
		}
		faults := sub.org.faults.Get()
		if faults.Stall || (faults.StallAfterEvents > 0 && delivered >= faults.StallAfterEvents) {
			sub.org.faults.fired()
			<-ctx.Done() // silent: no events, no keepalives, stream stays open
			return nil
		}
		// A fault armed after the stream already delivered its count fires
		// now rather than starving the stream.
		if err := s.afterDelivery(ctx, out, sub, faults, delivered); err != nil {
			return err
		}
		limit := min(faultLimit(faults, delivered, credits), maxEventsPerResponse)
		changed := sub.org.bus.Changed()
		events, scanned := sub.org.bus.ReadAfter(pos, sub.keep, limit, maxResponseBytes)
		if len(events) > 0 {
			if err := s.send(out, sub, events, scanned, faults.Latency); err != nil {
				return err
			}
			pos = scanned
			delivered += len(events)
			keepalive.Reset(s.keepalive)
			if err := s.afterDelivery(ctx, out, sub, faults, delivered); err != nil {
				return err
			}
			continue
		}
		if credits > 0 {
			pos = scanned // everything up to here was for other channels
		}
		select {
		case <-ctx.Done():
			return nil
		case <-sub.done:
			if _, failed := sub.state(); failed != nil {
				return failed
			}
			<-ctx.Done()
			return nil
		case <-changed:
		case <-sub.requestCh:
		case <-keepalive.C:
			if err := s.sendKeepalive(out, sub, pos, faults.Latency); err != nil {
				return err
			}
			keepalive.Reset(s.keepalive)
		}
	}
}

// resetFlushGrace is how long a reset fault waits after the last send.
const resetFlushGrace = 100 * time.Millisecond

// faultLimit caps a read so a fault fires after exactly N events.
func faultLimit(f FaultSettings, delivered, credits int) int {
	limit := credits
	for _, n := range []int{f.EndStreamAfterEvents, f.ResetAfterEvents, f.StallAfterEvents} {
		if n > 0 {
			limit = min(limit, max(n-delivered, 0))
		}
	}
	return limit
}

// afterDelivery ends or breaks the stream when a fault's count is reached.
func (s *pubSubService) afterDelivery(ctx context.Context, out *wire, sub *subscription, f FaultSettings, delivered int) *sfError {
	if f.EndStreamAfterEvents > 0 && delivered >= f.EndStreamAfterEvents {
		sub.org.faults.fired()
		out.drain() // the N events arrive before the status
		return &sfError{codes.Unavailable, CodeServiceUnavailable, msgServiceUnavailble}
	}
	if f.ResetAfterEvents > 0 && delivered >= f.ResetAfterEvents {
		sub.org.faults.fired()
		out.drain()
		// Let the transport flush what was sent, so the client sees exactly
		// N events before the connection drops.
		time.Sleep(resetFlushGrace)
		s.conns.resetPeer(ctx)
		<-ctx.Done()
		return &sfError{codes.Unavailable, "", "connection reset by fault injection"}
	}
	return nil
}

func (s *pubSubService) send(out *wire, sub *subscription, events []storedEvent, scanned uint64, latency time.Duration) *sfError {
	if err := s.checkSession(sub); err != nil {
		return err
	}
	resp := &eventbusv1.FetchResponse{
		Events:         make([]*eventbusv1.ConsumerEvent, len(events)),
		LatestReplayId: EncodeReplayID(scanned),
		RpcId:          newRPCID(),
	}
	for i, ev := range events {
		resp.Events[i] = &eventbusv1.ConsumerEvent{
			Event:    &eventbusv1.ProducerEvent{Id: ev.EventUUID, SchemaId: ev.SchemaID, Payload: ev.Payload},
			ReplayId: EncodeReplayID(ev.replayID),
		}
	}
	resp.PendingNumRequested = int32(sub.spend(len(events)))
	if err := out.send(resp, latency); err != nil {
		return &sfError{codes.Unavailable, "", err.Error()}
	}
	return nil
}

func (s *pubSubService) sendKeepalive(out *wire, sub *subscription, pos uint64, latency time.Duration) *sfError {
	if err := s.checkSession(sub); err != nil {
		return err
	}
	credits, _ := sub.state()
	resp := &eventbusv1.FetchResponse{LatestReplayId: EncodeReplayID(pos), RpcId: newRPCID(), PendingNumRequested: int32(credits)}
	if err := out.send(resp, latency); err != nil {
		return &sfError{codes.Unavailable, "", err.Error()}
	}
	return nil
}

// checkSession re-checks the stream's token before each response: a token
// that expired mid-stream ends the stream as UNAUTHENTICATED.
func (s *pubSubService) checkSession(sub *subscription) *sfError {
	if !sub.org.tokens.Valid(sub.token) {
		return &sfError{codes.Unauthenticated, CodeAuthError, msgAuth}
	}
	return nil
}
