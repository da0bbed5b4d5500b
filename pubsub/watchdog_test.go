package pubsub_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
)

// The watchdog runs in fake time: the stalled stream is detected after the
// default 300 s of silence, yet the test takes milliseconds.
func TestTheWatchdogResubscribesASilentStreamAfterFiveMinutes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := sfsim.NewBus(nil, 0)
		org, err := sfsim.NewOrg(sfsim.Config{Seed: 21}, nil, bus)
		if err != nil {
			t.Fatal(err)
		}
		tokens := sfsim.NewTokens(sfsim.SystemClock{}, org.ID())
		faults := &sfsim.Faults{}
		lis := bufconn.Listen(1 << 20)
		srv := grpc.NewServer(sfsim.PubSubServerOptions()...)
		sfsim.RegisterPubSub(srv, sfsim.PubSubBackend{OrgID: org.ID(), InstanceURL: sfsim.DefaultInstanceURL, Topics: org, Bus: bus, Tokens: tokens, Faults: faults}, 0)
		go srv.Serve(lis)
		defer srv.Stop()

		var want []string
		for range 5 {
			id, err := org.Create("Case", sfsim.Values{"Subject": "quiet"})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		faults.Set(sfsim.FaultSettings{StallAfterEvents: 2, Once: true})

		client, err := pubsub.NewClient(pubsub.Config{
			Endpoint:  "passthrough:///bufnet",
			Plaintext: true,
			Dialer:    func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) },
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, salesforce.StaticSession{AccessToken: tokens.Issue(), InstanceURL: sfsim.DefaultInstanceURL, TenantID: org.ID()})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		start := time.Now()
		sub := client.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
		var got []string
		for len(got) < 5 {
			m := <-sub.Messages()
			if m.Event != nil {
				got = append(got, m.Event.Header.RecordIDs...)
			}
			sub.Release(m)
		}
		waited := time.Since(start)
		sub.Stop()
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if st := sub.Stats(); st.Reconnects != 1 {
			t.Fatalf("%d reconnects, want exactly 1 (the watchdog)", st.Reconnects)
		}
		if waited < 300*time.Second {
			t.Fatalf("resubscribed after %v of silence, before the 300 s watchdog", waited)
		}
	})
}
