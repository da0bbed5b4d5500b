package salesforce_test

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

func TestATokenExpiringBetweenRESTCallsIsRefreshedOnceAndNoCallerSeesIt(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	createCases(t, s, 20)
	creds := clientCredentials(t, s, nil)
	c := restClient(t, s, creds, nil)
	if _, err := c.Count(t.Context(), "SELECT COUNT() FROM Case"); err != nil {
		t.Fatal(err)
	}
	s.Tokens.RevokeAll() // the session times out
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			n, err := c.Count(t.Context(), "SELECT COUNT() FROM Case")
			if err == nil && n != 20 {
				err = errors.New("wrong count")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller saw the expiry: %v", err)
		}
	}
	if n := s.REST.GrantCounts()[sfsim.GrantClientCredentials]; n != 2 {
		t.Fatalf("%d token requests, want 2 (the first session and one refresh)", n)
	}
}

func TestATokenExpiringDuringAStreamAndRESTCallsIsRefreshedOnceForBoth(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	first := createCases(t, s, 30)
	creds := clientCredentials(t, s, nil)
	rest := restClient(t, s, creds, nil)
	ps, err := pubsub.NewClient(pubsub.Config{
		Endpoint: s.PubSub.Addr(), CAFile: s.PubSub.CAFile(),
		BackoffInitial: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	sub := ps.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := receiveIDs(t, sub, len(first))

	s.Tokens.RevokeAll()
	s.PubSub.ResetConnections() // the stream must subscribe again, with the expired token
	second := createCases(t, s, 30)
	if _, err := rest.Count(t.Context(), "SELECT COUNT() FROM Case"); err != nil {
		t.Fatalf("the REST caller saw the expiry: %v", err)
	}
	got = append(got, receiveIDs(t, sub, len(second))...)
	if want := append(first, second...); !slices.Equal(got, want) {
		t.Fatal("events lost or repeated across the expiry")
	}
	if sub.Stats().Reconnects == 0 {
		t.Fatal("the stream never resubscribed, so it never met the expired token")
	}
	if n := s.REST.GrantCounts()[sfsim.GrantClientCredentials]; n != 2 {
		t.Fatalf("%d token requests, want 2 (the first session and one refresh shared by stream and REST)", n)
	}
}

// receiveIDs reads n change events and returns their record IDs.
func receiveIDs(t *testing.T, sub *pubsub.Subscription, n int) []string {
	t.Helper()
	var ids []string
	timeout := time.After(30 * time.Second)
	for len(ids) < n {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("stream ended after %d of %d events: %v", len(ids), n, sub.Err())
			}
			if m.Event != nil {
				ids = append(ids, m.Event.Header.RecordIDs...)
			}
			sub.Release(m)
		case <-timeout:
			t.Fatalf("timed out after %d of %d events", len(ids), n)
		}
	}
	return ids
}

func TestAFailedRefreshBacksOffBeforeAskingAgain(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	s := startSim(t, simOptions{clock: clock})
	cfg := baseConfig(s, salesforce.FlowClientCredentials, nil)
	cfg.Clock = clock
	creds, err := salesforce.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	s.RESTFaults.Set(sfsim.RESTFaultSettings{TokenErrors: 1})

	_, err = creds.Current(t.Context())
	if !errors.Is(err, salesforce.ErrServerUnavailable) {
		t.Fatalf("the token endpoint's 503 gave %v", err)
	}
	_, err = creds.Current(t.Context())
	if !errors.Is(err, salesforce.ErrRefreshBackoff) || !errors.Is(err, salesforce.ErrServerUnavailable) {
		t.Fatalf("a request right after a failure gave %v, want ErrRefreshBackoff wrapping the failure", err)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantClientCredentials]; n != 0 {
		t.Fatalf("%d tokens issued during the backoff", n)
	}
	clock.Advance(3 * time.Second) // past the first backoff (1 s to 1.5 s)
	if _, err := creds.Current(t.Context()); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
}

func TestAPubSubRefreshThatAnotherCallerAlreadyMadeIsNotRepeated(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	creds := clientCredentials(t, s, nil)
	old, err := creds.Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := creds.Refresh(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	again, err := creds.Refresh(t.Context(), old) // a late report of the same rejection
	if err != nil || again.AccessToken != fresh.AccessToken {
		t.Fatalf("a late refresh of an already replaced token minted another: %v", err)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantClientCredentials]; n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}
