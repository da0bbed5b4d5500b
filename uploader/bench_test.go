package uploader

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

var benchWords = strings.Fields("order invoice délivery naïve customer refund please thanks shipment <b> R&D \"quoted\" Grüße status tracking number today")

// benchEmails maps n emails with bodies of about textBytes.
func benchEmails(b *testing.B, n, textBytes int) []mapper.Result {
	m, err := mapper.New(mapper.Config{Objects: []mapper.ObjectMapping{{Object: "EmailMessage"}}})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]mapper.Result, n)
	for i := range out {
		var text strings.Builder
		for text.Len() < textBytes {
			text.WriteString(benchWords[r.IntN(len(benchWords))])
			text.WriteByte(' ')
		}
		res, err := m.Map(mapper.Record{Object: "EmailMessage", ID: fmt.Sprintf("02s%015d", i), Fields: map[string]any{
			"Subject": fmt.Sprintf("Order %d", i), "TextBody": text.String(), "FromAddress": "a@example.com",
			"ToAddress": "support@acme.example", "MessageDate": int64(1714557600000 + i), "ParentId": "500000000000001AAA",
			"Status": "0", "Incoming": true,
		}})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = res
	}
	return out
}

// BenchmarkUploadToSimulator pushes mapped emails through the uploader to
// the simulator over loopback; both share the machine's cores. No hash
// store is used, so every comment is sent (after the first pass CM answers
// unchanged, having decoded and compared each one).
func BenchmarkUploadToSimulator(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1KB", 1000}, {"5KB", 5000}} {
		b.Run(size.name, func(b *testing.B) {
			sim, err := commsmining.Start(commsmining.Options{Sources: []string{project + "/" + source}})
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			benchUpload(b, sim.URL(), sim.Token(), benchEmails(b, 10_000, size.bytes))
		})
	}
}

// BenchmarkUploadToDiscardingServer measures the uploader alone: the
// server reads each body and answers without decoding it, so what remains
// is the uploader's own cost (batching, HTTP, outcomes).
func BenchmarkUploadToDiscardingServer(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, `{"status":"ok","new":%d,"updated":0,"unchanged":0}`, n/5000)
	}))
	defer srv.Close()
	benchUpload(b, srv.URL, "token", benchEmails(b, 10_000, 5000))
}

func benchUpload(b *testing.B, url, token string, results []mapper.Result) {
	up, err := New(Config{BaseURL: url, Token: Secret(token), Project: project, Source: source,
		MaxBatchComments: 1000}, Options[string]{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() { cancel(); <-done }()

	cpu := processCPU()
	b.ResetTimer()
	for i := range b.N {
		if err := up.Submit(ctx, Item[string]{Result: results[i%len(results)]}); err != nil {
			b.Fatal(err)
		}
	}
	if err := up.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpuSeconds := (processCPU() - cpu).Seconds()
	st := up.Stats()
	if st.Delivered != int64(b.N) {
		b.Fatalf("%d of %d delivered", st.Delivered, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comments/s")
	b.ReportMetric(float64(st.SyncRequests)*1000/float64(b.N), "requests/1000")
	b.ReportMetric(float64(b.N)/cpuSeconds, "comments/cpu-s")
}

// processCPU is the process's CPU time (all threads, client and simulator).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
