package pubsub_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// emailBodies makes a ~10 KB email: 5 KB of text and 5 KB of HTML.
func emailBodies(i int) sfsim.Values {
	para := strings.Repeat("Hello team, the printer on floor 3 is jammed again and the toner light is blinking. ", 60)
	return sfsim.Values{
		"Subject":     "Printer incident " + strings.Repeat("x", i%7),
		"TextBody":    para[:5000],
		"HtmlBody":    "<html><body><p>" + para[:4950] + "</p></body></html>",
		"FromAddress": "customer@example.com",
		"ToAddress":   "support@example.com",
		"Incoming":    true,
	}
}

// startLoadedSim starts a simulator holding n ~10 KB EmailMessage events.
func startLoadedSim(b *testing.B, n int) *simHarness {
	h := startSim(b, sfsim.Config{Seed: 99}, time.Minute)
	for i := range n {
		if _, err := h.sim.Org.Create("EmailMessage", emailBodies(i)); err != nil {
			b.Fatal(err)
		}
	}
	return h
}

// consume subscribes from the earliest event and releases n events.
func consume(b *testing.B, c *pubsub.Client, n int) {
	sub := c.Subscribe(b.Context(), "/data/EmailMessageChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	for got := 0; got < n; {
		m, ok := <-sub.Messages()
		if !ok {
			b.Fatalf("subscription ended: %v", sub.Err())
		}
		if m.Poison != nil {
			b.Fatal(m.Poison)
		}
		if m.Event != nil {
			got++
		}
		sub.Release(m)
	}
}

// BenchmarkSubscribeTLS10KB: decoded events per second from the simulator
// over loopback TLS, client and server sharing the machine.
func BenchmarkSubscribeTLS10KB(b *testing.B) {
	const n = 20000
	h := startLoadedSim(b, n)
	c := h.client(b, nil, nil)
	start := time.Now()
	for b.Loop() {
		consume(b, c, n)
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkSubscribeWith50msLatency: with 50 ms added to every response the
// ceiling is 100 events per round trip (2,000 events/s).
func BenchmarkSubscribeWith50msLatency(b *testing.B) {
	const n = 4000
	h := startLoadedSim(b, n)
	h.sim.Faults.Set(sfsim.FaultSettings{Latency: 50 * time.Millisecond})
	c := h.client(b, nil, nil)
	start := time.Now()
	for b.Loop() {
		consume(b, c, n)
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
}
