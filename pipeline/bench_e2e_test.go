package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// BenchmarkEndToEnd10KBEmails streams b.N EmailMessage CREATE events of
// about 10 KB, appended to the bus up front, through one worker (real
// Redis store, default lingers and batch sizes) into the CM simulator, and
// reports the throughput from the worker's start until CM stored the last
// comment.
func BenchmarkEndToEnd10KBEmails(b *testing.B) {
	w := newE2EWorld(b, nil)
	schemaJSON, events, err := sfsim.SampleEmailEvents(99, b.N)
	if err != nil {
		b.Fatal(err)
	}
	w.Sim.Bus.RegisterSchema(events[0].SchemaID, schemaJSON)
	bytes := 0
	for _, ev := range events {
		w.Sim.Bus.Append(ev)
		bytes += len(ev.Payload)
	}
	m, err := mapper.New(mapper.Config{Objects: []mapper.ObjectMapping{{Object: "EmailMessage"}}})
	if err != nil {
		b.Fatal(err)
	}
	up := uploader.Config{BaseURL: w.CMURL, Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource}
	wk, err := pipeline.New(pipeline.Config{Org: w.Sim.Org.ID(), Topic: "/data/EmailMessageChangeEvent", Holder: "bench",
		Start: pipeline.StartEarliest},
		pipeline.Options{PubSub: w.PubSub, Records: w.Salesforce, Mapper: m, Store: w.Store, Upload: up})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() { done <- wk.Run(ctx) }()
	deadline := start.Add(5 * time.Minute)
	for w.CM.Stats().New < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("CM holds %d of %d comments after 5 min", w.CM.Stats().New, b.N)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatalf("worker: %v", err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "B/event")
}
