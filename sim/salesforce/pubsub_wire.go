package salesforce

import (
	"context"
	"sync"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// wire models the network between the service and one subscriber: each
// response arrives `latency` after the service sent it, and responses do
// not wait for one another (a WAN delays packets, it does not serialise
// them). It is the only goroutine that calls stream.Send.
type wire struct {
	ctx    context.Context
	stream eventbusv1.PubSub_SubscribeServer
	queue  chan delayedResponse
	done   chan struct{}

	mu       sync.Mutex
	err      error
	inFlight int
	drained  chan struct{} // closed when inFlight drops to 0; nil when idle
}

type delayedResponse struct {
	due  time.Time
	resp *eventbusv1.FetchResponse
}

func newWire(ctx context.Context, stream eventbusv1.PubSub_SubscribeServer) *wire {
	w := &wire{ctx: ctx, stream: stream, queue: make(chan delayedResponse, 4*maxOutstanding), done: make(chan struct{})}
	go w.run()
	return w
}

// send queues resp to arrive after latency. It reports a failed transport.
func (w *wire) send(resp *eventbusv1.FetchResponse, latency time.Duration) error {
	w.mu.Lock()
	if w.err != nil {
		defer w.mu.Unlock()
		return w.err
	}
	w.inFlight++
	w.mu.Unlock()
	select {
	case w.queue <- delayedResponse{due: time.Now().Add(latency), resp: resp}:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

func (w *wire) run() {
	defer close(w.done)
	for d := range w.queue {
		err := w.deliver(d)
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.inFlight--
		if w.inFlight == 0 && w.drained != nil {
			close(w.drained)
			w.drained = nil
		}
		w.mu.Unlock()
	}
}

func (w *wire) deliver(d delayedResponse) error {
	if wait := time.Until(d.due); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-w.ctx.Done():
			t.Stop()
			return w.ctx.Err()
		case <-t.C:
		}
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	return w.stream.Send(d.resp)
}

// failed returns the transport error, if any.
func (w *wire) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// drain waits until every queued response was sent (or the stream ended).
func (w *wire) drain() {
	w.mu.Lock()
	if w.inFlight == 0 {
		w.mu.Unlock()
		return
	}
	if w.drained == nil {
		w.drained = make(chan struct{})
	}
	ch := w.drained
	w.mu.Unlock()
	select {
	case <-ch:
	case <-w.ctx.Done():
	}
}

// close sends what is queued and stops the goroutine; the handler must not
// return before it, since gRPC forbids Send after the handler returned.
func (w *wire) close() {
	close(w.queue)
	<-w.done
}
