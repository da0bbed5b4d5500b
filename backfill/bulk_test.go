package backfill_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// quickBulk makes simulated jobs complete at once, with results pages of
// 50 records.
var quickBulk = sfsim.BulkConfig{QueueTime: -1, BaseTime: -1, PerRecordTime: -1, DefaultMaxRecords: 50}

// syncBuffer is a log destination tests read after the run.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bulkJobs counts the Bulk query jobs the simulated org created.
func (w *world) bulkJobs() int {
	jobs, _ := w.Sim.REST.BulkUsage()
	return jobs
}

func TestAutoReadsAboveTheThresholdThroughABulkJobAndLandsWhatRESTLands(t *testing.T) {
	t.Parallel()
	bulkWorld, restWorld := newWorld(t, simworld.Options{Bulk: quickBulk}), newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, bulkWorld.Sim.Org, 230, 7)
	seedEmails(t, restWorld.Sim.Org, 230, 7)
	var states []string
	progress := func(p backfill.Progress) {
		if p.Phase == backfill.PhaseBulkJob {
			states = append(states, p.BulkState)
		}
	}
	sum, err := bulkWorld.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}, progress: progress}).Run(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Objects[0].API; got != "bulk" || bulkWorld.bulkJobs() != 1 {
		t.Fatalf("read over %q with %d Bulk jobs, want one Bulk job (%s)", got, bulkWorld.bulkJobs(), sum.Objects[0].APIReason)
	}
	if len(states) == 0 || states[len(states)-1] != "JobComplete" {
		t.Errorf("Bulk job states reported: %v, want them to end JobComplete", states)
	}
	if _, err := restWorld.backfill(t, setup{cfg: backfill.Config{API: backfill.APIREST}}).Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := sameBodies(bulkWorld.Bodies(), restWorld.Bodies()); err != nil {
		t.Fatalf("Bulk and REST landed different comments: %v", err)
	}
	if err := sameBodies(bulkWorld.Bodies(), bulkWorld.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if wm := bulkWorld.watermark(t, "EmailMessage"); wm.BulkJob != "" || wm.BulkLocator != "" {
		t.Errorf("a finished Bulk read left job %q locator %q in the watermark", wm.BulkJob, wm.BulkLocator)
	}
}

func TestRESTStaysChosenBelowTheThreshold(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 60, 6)
	sum, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Run(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Objects[0].API; got != "rest" || w.bulkJobs() != 0 {
		t.Fatalf("read over %q with %d Bulk jobs, want REST and none", got, w.bulkJobs())
	}
	if !strings.Contains(sum.Objects[0].APIReason, "below bulk_threshold 100") {
		t.Errorf("reason %q does not name the threshold", sum.Objects[0].APIReason)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

func TestAFailedBulkJobFallsBackToRESTWithOneLogLine(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 150, 5)
	w.Sim.REST.FailNextBulkJobs(1, "QUERY_TIMEOUT: the query ran too long")
	var logs syncBuffer
	b := w.backfill(t, setup{cfg: backfill.Config{API: backfill.APIBulk}, logger: slog.New(slog.NewTextHandler(&logs, nil))})
	sum, err := b.Run(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "reading over REST"); n != 1 || !strings.Contains(logs.String(), "QUERY_TIMEOUT") {
		t.Fatalf("want one fallback line naming the reason, got %d in:\n%s", n, logs.String())
	}
	if got := sum.Objects[0].API; got != "rest" {
		t.Errorf("summary says %q, want rest after the fallback", got)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

// stopAfterFirstBulkPage runs a Bulk backfill and cancels it once the
// first results page is settled and saved.
func stopAfterFirstBulkPage(t *testing.T, w *world) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	progress := func(p backfill.Progress) {
		if p.Phase == backfill.PhaseReading && p.Read > 0 {
			cancel()
		}
	}
	_, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}, progress: progress}).Run(ctx, backfill.Request{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run returned %v, want the cancellation", err)
	}
	wm := w.watermark(t, "EmailMessage")
	if wm.BulkJob == "" || wm.BulkLocator == "" {
		t.Fatalf("the stop saved job %q locator %q, want both", wm.BulkJob, wm.BulkLocator)
	}
}

func TestAStoppedBulkRunResumesTheSameJobAndResendsAtMostOnePage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 230, 10)
	stopAfterFirstBulkPage(t, w)
	if _, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if w.bulkJobs() != 1 {
		t.Errorf("%d Bulk jobs created, want the first one resumed", w.bulkJobs())
	}
	if got := w.CM.Stats().CommentsReceived; got > 230+50 {
		t.Errorf("CM received %d comments for 230 records, more than one page re-sent", got)
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.BulkJob != "" {
		t.Errorf("the finished run left job %q in the watermark", wm.BulkJob)
	}
}

// A run stopped while CM has not accepted anything of its first results
// page (nothing settled, no position yet) has stored its new job alone: the
// next run reads that job's results instead of creating a second job, and
// lands every record.
func TestABulkRunStoppedInItsFirstPageResumesTheSameJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 230, 10)
	w.CM.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: http.StatusServiceUnavailable, Times: 1 << 20})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { // stop once the first page's upload is being refused
		for ctx.Err() == nil && w.CM.Stats().FaultsServed == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Run(ctx, backfill.Request{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run returned %v, want the cancellation", err)
	}
	wm := w.watermark(t, "EmailMessage")
	if wm.BulkJob == "" || wm.BulkLocator != "" || !wm.Modstamp.IsZero() {
		t.Fatalf("the stop stored %+v, want the job alone", wm)
	}
	w.CM.ClearFaults()
	if _, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if w.bulkJobs() != 1 {
		t.Errorf("%d Bulk jobs created, want the first one read again", w.bulkJobs())
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.BulkJob != "" || wm.Modstamp.IsZero() {
		t.Errorf("the finished run left %+v, want a position without a job", wm)
	}
}

func TestExpiredBulkResultsStartANewJobFromTheWatermark(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 230, 10)
	stopAfterFirstBulkPage(t, w)
	w.Sim.REST.ExpireBulkJobs()
	if _, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if w.bulkJobs() != 2 {
		t.Errorf("%d Bulk jobs created, want a second one after the first expired", w.bulkJobs())
	}
	if err := sameBodies(w.Bodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}

func TestTheEstimateSaysWhichAPIARunWouldUseAndTheRequestsOfEach(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: quickBulk})
	seedEmails(t, w.Sim.Org, 230, 10)
	est, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 100}}).Estimate(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	o := est.Objects[0]
	if o.API != "bulk" || !strings.Contains(o.APIReason, "230 records, at or above bulk_threshold 100") {
		t.Errorf("estimate chose %q because %q, want bulk because of the threshold", o.API, o.APIReason)
	}
	if o.RESTRequests != 2 || o.BulkRequests != 9 {
		t.Errorf("estimated REST %d and Bulk %d requests, want 2 (count, one page) and 9 (count, create, 6 polls, one page)", o.RESTRequests, o.BulkRequests)
	}
	// It read as the run would, through one job, and sent nothing.
	if w.bulkJobs() != 1 || w.CM.Stats().CommentsReceived != 0 {
		t.Errorf("the estimate created %d Bulk jobs and sent %d comments, want one job and none", w.bulkJobs(), w.CM.Stats().CommentsReceived)
	}
	if est.Counts.Created != 230 {
		t.Errorf("the estimate counts %d new comments, want 230", est.Counts.Created)
	}
	if wm, err := w.Store.Watermark(t.Context(), w.Sim.Org.ID(), "EmailMessage"); !errors.Is(err, replay.ErrNotFound) {
		t.Errorf("the estimate saved a watermark (%+v, %v)", wm, err)
	}
}

// A dry run of a large object costs what the Bulk read costs, not the
// REST pages the Bulk choice avoids.
func TestADryRunOfALargeObjectReadsThroughTheBulkJobARunWouldUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, simworld.Options{Bulk: sfsim.BulkConfig{QueueTime: -1, BaseTime: -1, PerRecordTime: -1}})
	// 20,000: ten REST pages of 2,000, against which the Bulk job's few
	// calls still show (it was 30,000, which proves no more).
	seedEmails(t, w.Sim.Org, 20_000, 1000)
	est, err := w.backfill(t, setup{cfg: backfill.Config{BulkThreshold: 10_000}}).Estimate(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	o := est.Objects[0]
	if o.API != "bulk" || est.Counts.Created != 20_000 {
		t.Fatalf("estimate read over %q and counted %d new comments, want bulk and 20000", o.API, est.Counts.Created)
	}
	// Count, describe, create, a few polls, one results page, against the
	// count and 10 pages of 2,000 over REST.
	t.Logf("the dry run cost %d API calls; over REST: %d", est.RESTCalls, o.RESTRequests)
	if est.RESTCalls > 10 || o.RESTRequests != 11 {
		t.Errorf("the dry run cost %d API calls (REST estimate %d), want at most 10 against 11 over REST", est.RESTCalls, o.RESTRequests)
	}
}

// While Salesforce processes a Bulk job, each state its polls see is
// reported once, as it changes, so the progress display follows the job
// (it used to show only the state at creation and the end).
func TestEachStateOfABulkJobIsReportedOnceAsItChanges(t *testing.T) {
	t.Parallel()
	slow := sfsim.BulkConfig{QueueTime: time.Second, BaseTime: time.Second, PerRecordTime: -1, DefaultMaxRecords: 50}
	w := newWorld(t, simworld.Options{Bulk: slow})
	seedEmails(t, w.Sim.Org, 120, 6)
	var states []string
	s := setup{
		cfg: backfill.Config{BulkThreshold: 100},
		progress: func(p backfill.Progress) {
			if p.Phase == backfill.PhaseBulkJob {
				states = append(states, p.BulkState)
			}
		},
		// Polls every 20 ms of real time: the simulated job's states last
		// a second each.
		sleep: func(ctx context.Context, _ time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
				return nil
			}
		},
	}
	if _, err := w.backfill(t, s).Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"UploadComplete", "InProgress", "JobComplete"}; !slices.Equal(states, want) {
		t.Errorf("Bulk job states reported %v, want each once as it changed: %v", states, want)
	}
}
