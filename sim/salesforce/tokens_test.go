package salesforce

import (
	"net/http"
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// TestAnIdleSessionExpiresOnRESTAndPubSub: with an idle timeout, any call
// (REST or Pub/Sub) starts the session's timeout again; a session left
// unused for longer is refused with 401 INVALID_SESSION_ID on REST and
// UNAUTHENTICATED on Pub/Sub, while a token in use lives on.
func TestAnIdleSessionExpiresOnRESTAndPubSub(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	creds, err := credentials.NewClientTLSFromFile(h.sim.PubSub.CAFile(), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(h.sim.PubSub.Addr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := eventbusv1.NewPubSubClient(conn)
	getTopic := func(token string) error {
		_, err := client.GetTopic(callAs(t, token, h.sim.InstanceURL, h.sim.Org.ID()), &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"})
		return err
	}
	busy, idle := h.sim.AccessToken, h.sim.Tokens.Issue()
	h.sim.Tokens.SetIdleTimeout(time.Hour)
	for i := range 3 { // 3 × 50 min: only use keeps the busy token alive
		h.clock.Advance(50 * time.Minute)
		if i%2 == 0 {
			if st := h.apiStatus(t, busy); st != http.StatusOK {
				t.Fatalf("REST call %d with the busy token: %d", i+1, st)
			}
		} else if err := getTopic(busy); err != nil {
			t.Fatalf("Pub/Sub call %d with the busy token: %v", i+1, err)
		}
	}
	if st := h.apiStatus(t, idle); st != http.StatusUnauthorized {
		t.Fatalf("REST with the idle token: %d, want 401", st)
	}
	if err := getTopic(idle); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Pub/Sub with the idle token: %v, want UNAUTHENTICATED", err)
	}
	h.clock.Advance(time.Hour)
	if st := h.apiStatus(t, busy); st != http.StatusUnauthorized {
		t.Fatalf("REST with the busy token after an idle hour: %d, want 401", st)
	}
	h.sim.Tokens.SetIdleTimeout(0)
	if st := h.apiStatus(t, idle); st != http.StatusOK {
		t.Fatalf("with the idle timeout off: %d", st)
	}
}

// TestTheRegistryForgetsDeadSessions: with a short lifetime, issuing many
// tokens keeps the registry bounded (a long run refreshing every few
// seconds must not grow without end).
func TestTheRegistryForgetsDeadSessions(t *testing.T) {
	t.Parallel()
	clock := &restTestClock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	tokens := NewTokens(clock, "00D000000000001AAA")
	tokens.SetLifetime(2 * time.Second)
	for range 20 * minSweep {
		tokens.Issue()
		clock.Advance(time.Second)
	}
	tokens.mu.Lock()
	n := len(tokens.issued)
	tokens.mu.Unlock()
	if n > 2*minSweep {
		t.Fatalf("%d sessions held after %d issued with a 2 s lifetime", n, 20*minSweep)
	}
}
