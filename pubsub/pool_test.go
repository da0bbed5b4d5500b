package pubsub_test

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// The streams of many clients (one per integration) share a few
// connections, at most MaxStreamsPerConn on each, and every client's calls
// carry its own session: a client with a refused token fails alone.
func TestClientsOnAPoolShareConnectionsOfAtMostAHundredStreamsWithTheirOwnSessions(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 21}, time.Minute)
	pool, err := pubsub.NewPool(pubsub.Config{Endpoint: h.sim.PubSub.Addr(), CAFile: h.sim.PubSub.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	cfg := pubsub.Config{BackoffInitial: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	newClient := func(creds salesforce.SessionSource) *pubsub.Client {
		c, err := pool.NewClient(cfg, creds)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := newClient(&refreshingCredentials{sim: h.sim}), newClient(&refreshingCredentials{sim: h.sim})
	forged := newClient(salesforce.StaticSession{AccessToken: "00D000000000001!forged", InstanceURL: h.sim.InstanceURL, TenantID: h.sim.Org.ID()})

	ids := h.createCases(t, 3)
	var subs []*pubsub.Subscription
	for i := range 150 {
		c := a
		if i%2 == 1 {
			c = b
		}
		subs = append(subs, c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest}))
	}
	bad := forged.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	for range bad.Messages() {
	}
	if err := bad.Err(); !errors.Is(err, pubsub.ErrUnauthenticated) {
		t.Fatalf("the forged client's subscription: %v; want ErrUnauthenticated", err)
	}
	for i, sub := range subs {
		if got := recordIDs(collect(t, sub, len(ids))); !slices.Equal(got, ids) {
			t.Fatalf("subscription %d got %v; want %v", i, got, ids)
		}
	}
	streams := pool.Streams()
	total := 0
	for _, n := range streams {
		total += n
		if n > pubsub.MaxStreamsPerConn {
			t.Fatalf("a connection carries %d streams; the API allows %d", n, pubsub.MaxStreamsPerConn)
		}
	}
	if total != 150 || len(streams) != 2 {
		t.Fatalf("streams per connection %v; want 150 on 2 connections", streams)
	}
	for _, sub := range subs {
		sub.Stop()
	}
	eventuallyTrue(t, "every stream slot to be given back", func() bool {
		for _, n := range pool.Streams() {
			if n != 0 {
				return false
			}
		}
		return true
	})
}

func eventuallyTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !eventually(cond) {
		t.Fatalf("gave up waiting for %s", what)
	}
}
