package pubsub_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// startLoadedSim starts a simulator holding n ~10 KB EmailMessage events:
// a thousand distinct events made by the org, appended repeatedly so the
// setup stays out of the profile.
func startLoadedSim(b *testing.B, n int) *simHarness {
	h := startSim(b, sfsim.Config{Seed: 99}, time.Minute)
	schemaJSON, sample, err := sfsim.SampleEmailEvents(99, 1000)
	if err != nil {
		b.Fatal(err)
	}
	h.sim.Bus.RegisterSchema(sample[0].SchemaID, schemaJSON)
	for i := range n {
		h.sim.Bus.Append(sample[i%len(sample)])
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
	const n = 8000
	h := startLoadedSim(b, n)
	h.sim.Faults.Set(sfsim.FaultSettings{Latency: 50 * time.Millisecond})
	c := h.client(b, nil, nil)
	start := time.Now()
	for b.Loop() {
		consume(b, c, n)
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
}
