package backfill_test

import (
	"crypto/sha256"
	"flag"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

var (
	benchEmails    = flag.Int("bench-emails", 100_000, "EmailMessages BenchmarkBackfillEmails seeds")
	benchBodyBytes = flag.Int("bench-body-bytes", 5_000, "BenchmarkBackfillEmails' bodies are 1–2 times this long (0: about 200 bytes)")
	benchUploads   = flag.Int("bench-uploads", 0, "backfill.Config.UploadConcurrency of BenchmarkBackfillEmails (0: the default)")
	benchLatency   = flag.Duration("bench-latency", 100*time.Millisecond, "added before every simulated Salesforce answer in BenchmarkBackfillEmails")
)

// BenchmarkBackfillEmails loads the same seeded EmailMessages over REST
// and through a Bulk API 2.0 job, with the simulated org answering every
// request after -bench-latency (100 ms: a real org across the internet)
// and processing Bulk jobs at its default pace. It reports the API
// requests per 100,000 records and the records per second that reached
// the simulated CM, and checks that every comment landed with the
// expected text.
//
//	go test -run '^$' -bench BackfillEmails -benchtime 1x ./backfill
//	go test -run '^$' -bench BackfillEmails/bulk -benchtime 1x -timeout 60m ./backfill -bench-emails 500000
func BenchmarkBackfillEmails(b *testing.B) {
	for _, api := range []string{backfill.APIREST, backfill.APIBulk} {
		b.Run(api, func(b *testing.B) {
			for range b.N {
				benchBackfill(b, api)
			}
		})
	}
}

func benchBackfill(b *testing.B, api string) {
	b.StopTimer()
	w := newWorld(b, simworld.Options{Bulk: sfsim.BulkConfig{}})
	// The change events of the seeding are not read: keep few, as a real
	// org's bus keeps only three days, so half a million long emails fit.
	w.Sim.Bus.SetMaxRetained(1000)
	seedVariedEmails(b, w.Sim.Org, *benchEmails, 1000, *benchBodyBytes)
	mapped := time.Now()
	want := w.wantDigests(b)
	b.Logf("mapped the %d expected comments in %s", *benchEmails, time.Since(mapped).Round(time.Millisecond))
	usedBefore, _ := w.Sim.REST.APIUsage()
	w.Sim.RESTFaults.Set(sfsim.RESTFaultSettings{Latency: *benchLatency})
	b.StartTimer()
	start := time.Now()
	lastPhase := ""
	progress := func(p backfill.Progress) {
		if ph := string(p.Phase) + p.BulkState; ph != lastPhase || p.Read%10000 == 0 {
			lastPhase = ph
			b.Logf("%6.2fs %s %s read %d", time.Since(start).Seconds(), p.Phase, p.BulkState, p.Read)
		}
	}
	sum, err := w.backfill(b, setup{cfg: backfill.Config{API: api, UploadConcurrency: *benchUploads}, progress: progress}).Run(b.Context(), backfill.Request{})
	elapsed := time.Since(start)
	b.StopTimer()
	w.Sim.RESTFaults.Set(sfsim.RESTFaultSettings{})
	if err != nil {
		b.Fatal(err)
	}
	if got := sum.Objects[0].API; got != api {
		b.Fatalf("read over %q (%s), want %s", got, sum.Objects[0].APIReason, api)
	}
	used, _ := w.Sim.REST.APIUsage()
	requests := used - usedBefore
	got := w.cmDigests()
	if len(got) != len(want) {
		b.Fatalf("CM holds %d comments, want %d", len(got), len(want))
	}
	for id, d := range want {
		if got[id] != d {
			b.Fatalf("comment %s is missing or holds other text than the record's", id)
		}
	}
	b.StartTimer()
	b.ReportMetric(float64(requests)*100_000/float64(*benchEmails), "requests/100k")
	b.ReportMetric(float64(*benchEmails)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(requests), "requests")
}

// cmDigests is the SHA-256 of each stored comment's body and subject, by
// comment ID (digests, so half a million long emails fit in memory).
func (w *world) cmDigests() map[string][32]byte {
	out := map[string][32]byte{}
	for _, c := range w.CM.Comments(cmProject, cmSource) {
		if len(c.Messages) > 0 {
			out[c.ID] = sha256.Sum256([]byte(c.Messages[0].Subject + "\x00" + c.Messages[0].Body))
		}
	}
	return out
}

// wantDigests is cmDigests of what CM should hold for the org's live
// EmailMessages.
func (w *world) wantDigests(t testing.TB) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	w.eachWantedEmail(t, func(id string, c mapper.Comment) {
		out[id] = sha256.Sum256([]byte(c.Messages[0].Subject + "\x00" + c.Messages[0].Body))
	})
	return out
}
