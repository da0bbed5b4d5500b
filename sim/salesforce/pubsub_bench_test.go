package salesforce_test

import (
	"context"
	"strings"
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// BenchmarkServeTLS10KB: events per second the simulator serves to one
// subscriber (the generated client, no decoding) over loopback TLS.
func BenchmarkServeTLS10KB(b *testing.B) {
	const n = 20000
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 5}, PubSub: sfsim.PubSubConfig{CAFile: b.TempDir() + "/ca.pem"}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := strings.Repeat("The printer on floor 3 is jammed again; the toner light blinks. ", 80)[:5000]
	for range n {
		if _, err := s.Org.Create("EmailMessage", sfsim.Values{"Subject": "Printer", "TextBody": body, "HtmlBody": "<p>" + body[:4990] + "</p>"}); err != nil {
			b.Fatal(err)
		}
	}
	creds, err := credentials.NewClientTLSFromFile(s.PubSub.CAFile(), "")
	if err != nil {
		b.Fatal(err)
	}
	conn, err := grpc.NewClient(s.PubSub.Addr(), grpc.WithTransportCredentials(creds), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := eventbusv1.NewPubSubClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "accesstoken", s.AccessToken, "instanceurl", s.InstanceURL, "tenantid", s.Org.ID())
	start := time.Now()
	bytes := 0
	for b.Loop() {
		stream, err := client.Subscribe(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/EmailMessageChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100}); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < n; {
			resp, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range resp.GetEvents() {
				bytes += len(e.GetEvent().GetPayload())
			}
			got += len(resp.GetEvents())
			if resp.GetPendingNumRequested() < 50 {
				if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: 100 - resp.GetPendingNumRequested()}); err != nil {
					b.Fatal(err)
				}
			}
		}
		stream.CloseSend()
	}
	elapsed := time.Since(start).Seconds()
	b.ReportMetric(float64(n*b.N)/elapsed, "events/s")
	b.ReportMetric(float64(bytes)/float64(n*b.N), "payload-bytes/event")
}
