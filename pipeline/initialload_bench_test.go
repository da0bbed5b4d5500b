package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

const emailTopic = "/data/EmailMessageChangeEvent"

var emailsOnly = []mapper.ObjectMapping{{Object: "EmailMessage"}}

// seedEmails creates n EmailMessage records of about 1.5 KB, 100 per
// transaction (sharing a SystemModstamp, as bulk loads do), on a few cases.
func seedEmails(t testing.TB, org *sfsim.Org, n int) {
	t.Helper()
	caseID, err := org.Create("Case", sfsim.Values{"Subject": "Seeded case", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("Where is my parcel? It was due on Monday. ", 36)
	for done := 0; done < n; {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < 100 && done < n; i++ {
				v := sfsim.Values{"ParentId": caseID, "Subject": fmt.Sprintf("Order %d", done), "TextBody": body,
					"FromAddress": "customer@example.com", "ToAddress": "support@example.com", "Incoming": true, "Status": "0"}
				if _, err := tx.Create("EmailMessage", v); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkInitialLoadUnderTraffic starts a daemon on an EmailMessage
// topic that never streamed, over 60,000 seeded emails, while the org
// generates 200 events/s of support traffic, and reports the time until
// the topic streams and the REST calls spent until then. A load that never
// ends is cut at 5 minutes (then to_streaming_s is that bound and
// streaming is 0).
//
//	go test -run '^$' -bench InitialLoadUnderTraffic -benchtime 1x ./pipeline
func BenchmarkInitialLoadUnderTraffic(b *testing.B) {
	const seeded, rate, bound = 60_000, 200.0, 5 * time.Minute
	for range b.N {
		b.StopTimer()
		w := newE2EWorld(b, nil)
		seedEmails(b, w.Sim.Org, seeded)
		callsBefore := w.Salesforce.Stats().RESTCalls
		ctx, stopTraffic := context.WithCancel(context.Background())
		gen := sfsim.NewGenerator(w.Sim.Org, 7)
		generated := make(chan error, 1)
		go func() { generated <- gen.Run(ctx, rate) }()
		b.StartTimer()

		start := time.Now()
		d := w.startDaemon(b, emailsOnly, nil)
		streaming := 0.0
		for time.Since(start) < bound {
			if topicState(d.daemon, emailTopic) == replay.StateStreaming {
				streaming = 1
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		calls := w.Salesforce.Stats().RESTCalls - callsBefore
		stopTraffic()
		if err := <-generated; err != nil {
			b.Fatal(err)
		}
		d.stop(b)
		b.ReportMetric(elapsed.Seconds(), "to_streaming_s")
		b.ReportMetric(float64(calls), "rest_calls")
		b.ReportMetric(streaming, "streaming")
	}
}

// topicState is the daemon's state of topic.
func topicState(d *pipeline.Daemon, topic string) replay.State {
	for _, s := range d.Snapshot() {
		if s.Topic == topic {
			return s.State
		}
	}
	return ""
}
