package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// instantBulk: jobs complete as soon as they are asked about.
var instantBulk = sfsim.BulkConfig{QueueTime: -1, BaseTime: -1, PerRecordTime: -1}

// startBulkSim runs a simulated org with the given Bulk timing and clock
// (nil: the wall clock), and a REST client logged in to it.
func startBulkSim(t *testing.T, bulk sfsim.BulkConfig, clock sfsim.Clock) (*sfsim.Sim, *salesforce.Client) {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: 15},
		PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		REST:   sfsim.RESTConfig{App: sfsim.ConnectedApp{ClientID: canaryClientID, ClientSecret: canaryClientSecret}, Bulk: bulk},
		Clock:  clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, restClient(t, s, clientCredentials(t, s, nil), nil)
}

// emailTexts are the text values the comparison cycles through: null,
// empty, multi-line with CRLF and lone CR, quotes and delimiters, accents
// and emoji, a NUL byte, a value shaped like a REST date-time.
var emailTexts = []any{
	nil,
	"",
	"Hello,\r\nthe printer is on fire.\r\n\r\nRegards\r\n",
	"lone\rcarriage return\nand a bare LF",
	`She wrote "urgent", twice: ""urgent""`,
	"Accents: é à ü ñ ç — emoji: 📨🔥👍🏽 and CJK 日本語",
	"NUL\x00inside",
	"2026-11-01T09:00:00.000+0000",
	"  leading and trailing spaces  ",
	"ends with CRLF\r\n",
}

// createEmails creates n emails under a few cases (one without a subject)
// and some without a case.
func createEmails(t *testing.T, s *sfsim.Sim, n int) {
	t.Helper()
	_, err := s.Org.Transaction(func(tx *sfsim.Tx) error {
		var cases []string
		for i := range 4 {
			v := sfsim.Values{"Status": "New"}
			if i > 0 {
				v["Subject"] = fmt.Sprintf("Case %d, with \"quotes\"\r\nand lines", i)
			}
			id, err := tx.Create("Case", v)
			if err != nil {
				return err
			}
			cases = append(cases, id)
		}
		at := time.Date(2026, 11, 1, 9, 0, 0, 123e6, time.UTC)
		for i := range n {
			v := sfsim.Values{
				"Subject":     emailTexts[i%len(emailTexts)],
				"TextBody":    emailTexts[(i+3)%len(emailTexts)],
				"HtmlBody":    emailTexts[(i+7)%len(emailTexts)],
				"Incoming":    i%2 == 0,
				"MessageDate": at.Add(time.Duration(i) * time.Second),
			}
			if i%5 != 0 {
				v["ParentId"] = cases[i%len(cases)]
			}
			if _, err := tx.Create("EmailMessage", v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

const emailSOQL = "SELECT Id, SystemModstamp, IsDeleted, Subject, TextBody, HtmlBody, Incoming, MessageDate, ParentId, Parent.Subject, Parent.Status FROM EmailMessage ORDER BY Id"

// readAllBulk runs soql as a Bulk job and returns every record.
func readAllBulk(t *testing.T, c *salesforce.Client, soql string, opts salesforce.BulkQueryOptions) []salesforce.Record {
	t.Helper()
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, soql, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var out []salesforce.Record
	for page, err := range job.Results(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range page.Records() {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rec)
		}
	}
	if err := job.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBulkQueryRecordsAreIdenticalToRESTRecordsForTheSameRows(t *testing.T) {
	t.Parallel()
	s, c := startBulkSim(t, instantBulk, nil)
	// 2,500 emails (it was 10,000) repeat every combination of the values
	// createEmails cycles through (every 20 emails) over a hundred times,
	// and both reads cross page boundaries: REST pages of 500 (five) and
	// Bulk pages of 1,000 (three, the last one short).
	const n = 2_500
	createEmails(t, s, n)
	ctx := context.Background()
	var viaREST []salesforce.Record
	before := c.Usage().Calls
	for rec, err := range c.Query(ctx, emailSOQL, salesforce.QueryOptions{BatchSize: 500}) {
		if err != nil {
			t.Fatal(err)
		}
		viaREST = append(viaREST, rec)
	}
	if calls := c.Usage().Calls - before; calls != n/500 {
		t.Fatalf("REST read the emails in %d calls, want %d pages of 500", calls, n/500)
	}
	viaBulk := readAllBulk(t, c, emailSOQL, salesforce.BulkQueryOptions{MaxRecords: 1_000})
	if len(viaREST) != n || len(viaBulk) != n {
		t.Fatalf("REST read %d records and Bulk %d, want %d each", len(viaREST), len(viaBulk), n)
	}
	for i := range viaREST {
		rest, bulk := viaREST[i], viaBulk[i]
		for _, f := range []string{"Subject", "TextBody", "HtmlBody"} {
			if rs, ok := rest[f].(string); ok && rs != bulk[f] {
				t.Fatalf("record %s field %s: REST %q, Bulk %q", rest.ID(), f, rs, bulk[f])
			}
		}
		if !reflect.DeepEqual(rest, bulk) {
			t.Fatalf("record %d differs:\nREST %#v\nBulk %#v", i, rest, bulk)
		}
	}
}

func TestBulkResultsResumeFromAStoredLocatorInANewJobHandle(t *testing.T) {
	t.Parallel()
	s, c := startBulkSim(t, instantBulk, nil)
	createEmails(t, s, 25)
	ctx := context.Background()
	opts := salesforce.BulkQueryOptions{MaxRecords: 10}
	job, err := c.BulkQuery(ctx, "SELECT Id, Subject FROM EmailMessage", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := job.Page(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rec, err := range first.Records() {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID())
	}
	first.Close()
	if first.Next == "" || first.NumberOfRecords != 10 {
		t.Fatalf("first page: next %q, %d records; want a next locator and 10", first.Next, first.NumberOfRecords)
	}

	// A restarted process knows only the job ID and the stored locator.
	again, err := c.OpenBulkJob(ctx, job.ID(), opts)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for page, err := range again.Results(ctx, first.Next) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for rec, err := range page.Records() {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, rec.ID())
		}
	}
	slices.Sort(ids)
	if pages != 2 || len(slices.Compact(ids)) != 25 {
		t.Fatalf("resumed read %d pages and %d distinct records in all, want 2 pages and 25", pages, len(ids))
	}
}

// recordingSleep plays Wait's pauses on a step clock and records them.
type recordingSleep struct {
	mu     sync.Mutex
	clock  *stepClock
	pauses []time.Duration
	cancel context.CancelFunc // when set, the third pause cancels
}

func (r *recordingSleep) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.pauses = append(r.pauses, d)
	n := len(r.pauses)
	r.mu.Unlock()
	if r.cancel != nil && n == 3 {
		r.cancel()
		return ctx.Err()
	}
	r.clock.Advance(d)
	return nil
}

func TestBulkWaitPollsWithDoublingPausesUpToTheCapUntilTheJobCompletes(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	_, c := startBulkSim(t, sfsim.BulkConfig{QueueTime: 2 * time.Second, BaseTime: 60 * time.Second, PerRecordTime: -1}, clock)
	rec := &recordingSleep{clock: clock}
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{
		PollInitial: time.Second, PollMax: 8 * time.Second, Sleep: rec.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := job.Wait(ctx)
	if err != nil || info.State != "JobComplete" {
		t.Fatalf("Wait: %v, state %q", err, info.State)
	}
	want := []time.Duration{1, 2, 4, 8, 8, 8, 8, 8, 8, 8} // 63 s ≥ 2 s queued + 60 s running
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(rec.pauses, want) {
		t.Fatalf("pauses %v, want %v", rec.pauses, want)
	}
}

func TestBulkWaitAbortsTheJobWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	_, c := startBulkSim(t, sfsim.BulkConfig{QueueTime: -1, BaseTime: time.Hour, PerRecordTime: -1}, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recordingSleep{clock: clock, cancel: cancel}
	job, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{Sleep: rec.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait gave %v, want context.Canceled", err)
	}
	info, err := job.Refresh(context.Background())
	if err != nil || info.State != "Aborted" {
		t.Fatalf("after Wait was cancelled the job is %q (%v), want Aborted", info.State, err)
	}
}

func TestBulkWaitReportsAFailedJobWithItsMessageOrSaysThereWasNone(t *testing.T) {
	t.Parallel()
	s, c := startBulkSim(t, instantBulk, nil)
	ctx := context.Background()
	for _, msg := range []string{"Retried more than 15 times", ""} {
		s.REST.FailNextBulkJobs(1, msg)
		job, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = job.Wait(ctx)
		var jobErr *salesforce.BulkJobError
		if !errors.Is(err, salesforce.ErrBulkJobFailed) || !errors.As(err, &jobErr) || jobErr.Message != msg {
			t.Fatalf("Wait gave %v, want ErrBulkJobFailed with message %q", err, msg)
		}
		if msg == "" && !strings.Contains(err.Error(), "no reason") {
			t.Fatalf("a failure without a message reads %q", err)
		}
	}
}

func TestBulkQueryClassifiesWhatOnlyRESTCanReadAsErrBulkUnsupported(t *testing.T) {
	t.Parallel()
	_, c := startBulkSim(t, instantBulk, nil)
	ctx := context.Background()
	for _, soql := range []string{
		"SELECT Status, COUNT(Id) FROM Case GROUP BY Status",
		"SELECT Id FROM Case OFFSET 10",
		"SELECT FIELDS(STANDARD) FROM Case",
	} {
		_, err := c.BulkQuery(ctx, soql, salesforce.BulkQueryOptions{})
		if !errors.Is(err, salesforce.ErrBulkUnsupported) {
			t.Errorf("%s: got %v, want ErrBulkUnsupported", soql, err)
		}
	}
	_, err := c.BulkQuery(ctx, "SELECT Nope FROM Case", salesforce.BulkQueryOptions{})
	if err == nil || errors.Is(err, salesforce.ErrBulkUnsupported) || !errors.Is(err, salesforce.ErrInvalidField) {
		t.Errorf("an unknown field gave %v, want ErrInvalidField and not ErrBulkUnsupported", err)
	}
}

func TestBulkQueryClassifiesASpentDailyAllocationAsErrBulkLimitExceeded(t *testing.T) {
	t.Parallel()
	_, c := startBulkSim(t, sfsim.BulkConfig{QueueTime: -1, BaseTime: -1, PerRecordTime: -1, DailyJobs: 1}, nil)
	ctx := context.Background()
	if _, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{})
	if !errors.Is(err, salesforce.ErrBulkLimitExceeded) {
		t.Fatalf("got %v, want ErrBulkLimitExceeded", err)
	}
}

func TestBulkResultsOfAnExpiredJobAreErrBulkJobGone(t *testing.T) {
	t.Parallel()
	s, c := startBulkSim(t, instantBulk, nil)
	createEmails(t, s, 3)
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, "SELECT Id FROM EmailMessage", salesforce.BulkQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	s.REST.ExpireBulkJobs()
	if _, err := job.Page(ctx, ""); !errors.Is(err, salesforce.ErrBulkJobGone) {
		t.Fatalf("results of an expired job: %v, want ErrBulkJobGone", err)
	}
	if _, err := c.OpenBulkJob(ctx, job.ID(), salesforce.BulkQueryOptions{}); !errors.Is(err, salesforce.ErrBulkJobGone) {
		t.Fatalf("reopening an expired job: %v, want ErrBulkJobGone", err)
	}
}

func TestBulkResultsBeforeTheJobCompletesAreErrBulkJobNotComplete(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	_, c := startBulkSim(t, sfsim.BulkConfig{QueueTime: -1, BaseTime: time.Hour, PerRecordTime: -1}, clock)
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, "SELECT Id FROM Case", salesforce.BulkQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Page(ctx, ""); !errors.Is(err, salesforce.ErrBulkJobNotComplete) {
		t.Fatalf("got %v, want ErrBulkJobNotComplete", err)
	}
	if err := job.Abort(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBulkResultsConsumedSlowerThanTheRequestTimeoutAreStillReadWhole(t *testing.T) {
	t.Parallel()
	s, _ := startBulkSim(t, instantBulk, nil)
	// Bodies of random printable characters (every one but the double
	// quote: 93, some 6.5 bits each), nearly incompressible, so gzip cannot
	// shrink the 10 MB page into one read: its 8 MB on the wire are twice
	// what the HTTP/2 stream's 4 MiB flow-control window lets Salesforce
	// send ahead of the reader, so the simulator is still writing the page
	// when the reader pauses. (It was 20 MB of 26 letters, 12 MB on the
	// wire: as telling, at twice the CPU under -race.) They are
	// consecutive slices of a 1 MB pool of random characters: a body
	// repeats only 100 bodies (1 MB) later, far beyond gzip's 32 KB window,
	// so the page compresses no better than if every character were drawn
	// afresh, which under -race cost 1.4 s on a quiet machine and over
	// 10 s on a loaded one (rand.IntN for each of 20 million letters); the
	// pool takes 60 ms.
	pool := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{15}).Read(pool)
	for i, b := range pool {
		if pool[i] = '!' + b%93; pool[i] >= '"' {
			pool[i]++ // '"' is left out: CSV would double it
		}
	}
	const records = 1_000
	_, err := s.Org.Transaction(func(tx *sfsim.Tx) error {
		const size = 10_000
		for k := range records {
			at := k * size % (len(pool) - size)
			if _, err := tx.Create("EmailMessage", sfsim.Values{"TextBody": string(pool[at : at+size])}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Long enough that a loaded machine's simulator (CSV of 20 MB, -race)
	// never pauses that long between writes; 300 ms once did on CI.
	const timeout = 2 * time.Second
	c, err := salesforce.NewClient(salesforce.Config{CAFile: s.PubSub.CAFile(), RequestTimeout: timeout}, clientCredentials(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx := context.Background()
	job, err := c.BulkQuery(ctx, "SELECT Id, TextBody FROM EmailMessage", salesforce.BulkQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := job.Page(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	n := 0
	for _, err := range page.Records() {
		if err != nil {
			t.Fatalf("after %d records: %v", n, err)
		}
		if n == 0 {
			time.Sleep(2 * timeout) // the uploader is slow; the page waits on the wire
		}
		n++
	}
	if n != records {
		t.Fatalf("read %d records, want %d", n, records)
	}
}
