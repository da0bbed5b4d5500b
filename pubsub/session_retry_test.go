package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// slowSession fails its first `failures` Current calls with err, then
// serves a session the server accepts.
type slowSession struct {
	good     salesforce.StaticSession
	err      error
	failures int
	mu       sync.Mutex
	calls    int
}

func (c *slowSession) Current(ctx context.Context) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls <= c.failures {
		return salesforce.Session{}, c.err
	}
	return c.good.Current(ctx)
}

func (c *slowSession) Refresh(ctx context.Context, _ salesforce.Session) (salesforce.Session, error) {
	return c.Current(ctx)
}

// A session that cannot be had yet (the token endpoint is down, or backing
// off after a failure) is asked for again with the reconnect backoff, and
// the subscription then streams; it used to end the subscription at once.
func TestASessionThatFailsForNowIsAskedForAgainAndTheSubscriptionStreams(t *testing.T) {
	t.Parallel()
	o := startObservedSim(t, sfsim.Config{Seed: 41}, time.Minute)
	creds := &slowSession{good: o.staticCredentials(), err: errors.New("token endpoint answered 503"), failures: 3}
	c := o.client(t, creds, nil)
	ids := o.createCases(t, 2)
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := 0
	timeout := time.After(20 * time.Second)
	for got < len(ids) {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("the subscription ended after %d events: %v", got, sub.Err())
			}
			if m.Event != nil {
				got++
			}
			sub.Release(m)
		case <-timeout:
			t.Fatalf("%d of %d events after 20 s", got, len(ids))
		}
	}
	if r := sub.Stats().Reconnects; r < 3 {
		t.Errorf("%d reconnects counted for 3 failed session requests", r)
	}
}

// A session refused for good (the credentials say no retry can help,
// e.g. Salesforce refused the grant) ends the subscription with that
// reason instead of a reconnect loop.
func TestASessionRefusedForGoodEndsTheSubscriptionWithTheReason(t *testing.T) {
	t.Parallel()
	o := startObservedSim(t, sfsim.Config{Seed: 43}, time.Minute)
	refused := fmt.Errorf("Salesforce OAuth answered 400 invalid_grant: %w", salesforce.ErrCannotRefresh)
	creds := &slowSession{good: o.staticCredentials(), err: refused, failures: 1000}
	sub := o.client(t, creds, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{})
	for m := range sub.Messages() {
		sub.Release(m)
	}
	if err := sub.Err(); !errors.Is(err, salesforce.ErrCannotRefresh) {
		t.Fatalf("Err = %v, want the refusal", err)
	}
	creds.mu.Lock()
	defer creds.mu.Unlock()
	if creds.calls != 1 {
		t.Fatalf("%d session requests, want one: a refusal for good is not retried", creds.calls)
	}
}
