package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sfcdc/sfcdc/salesforce"
)

// Estimation constants of the REST/Bulk comparison a dry run shows.
const (
	// estimatedBulkPolls is the job-state reads a typical job needs (0.5 s
	// doubling up to 30 s covers a few minutes of processing).
	estimatedBulkPolls = 6
	// estimatedBulkPageRecords is the results page size Salesforce
	// usually chooses when the request names none.
	estimatedBulkPageRecords = 50_000
)

// bulkPoint is where a Bulk API 2.0 job's results are read again after a
// stop: the job and the locator of the first page not yet settled ("" for
// the first page). It is stored with the watermark.
type bulkPoint struct {
	job, locator string
}

// The APIs of ObjectSummary.API.
const (
	apiBulk = "bulk"
	apiREST = "rest"
)

// apiChoice is how a catch-up reads an object, and why.
type apiChoice struct {
	bulk   bool
	reason string
}

// chooseAPI decides between a Bulk job and REST pages for records
// records: Config.API, then the threshold, then the field list (Bulk API
// 2.0 refuses compound fields such as addresses).
func (j *job) chooseAPI(ctx context.Context, c *cursor, records int) apiChoice {
	switch {
	case j.cfg.API == APIREST:
		return apiChoice{reason: "api is rest"}
	case j.cfg.API == APIBulk:
		return apiChoice{bulk: true, reason: "api is bulk"}
	case records < j.cfg.BulkThreshold:
		return apiChoice{reason: fmt.Sprintf("%d records, below bulk_threshold %d", records, j.cfg.BulkThreshold)}
	}
	if field, err := j.compoundField(ctx, c); err != nil {
		return apiChoice{reason: "describing the fields failed: " + err.Error()}
	} else if field != "" {
		return apiChoice{reason: "field " + field + " is a compound field, which Bulk API 2.0 does not serve"}
	}
	return apiChoice{bulk: true, reason: fmt.Sprintf("%d records, at or above bulk_threshold %d", records, j.cfg.BulkThreshold)}
}

// compoundField names the first selected field of the object itself that
// is an address or location (relationship fields are not checked: Bulk
// serves them).
func (j *job) compoundField(ctx context.Context, c *cursor) (string, error) {
	var d salesforce.ObjectDescription
	err := j.rd.do(ctx, "describe "+c.object, func(ctx context.Context) error {
		var err error
		d, err = j.opts.Salesforce.Describe(ctx, c.object)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, name := range selectList(c.fields) {
		if strings.Contains(name, ".") {
			continue
		}
		for _, f := range d.Fields {
			if strings.EqualFold(f.Name, name) && (f.Type == "address" || f.Type == "location") {
				return f.Name, nil
			}
		}
	}
	return "", nil
}

// bulkRefused reports whether a Bulk job's error means "read over REST":
// Salesforce would not create it, or it ended Failed or Aborted.
func bulkRefused(err error) bool {
	return errors.Is(err, salesforce.ErrBulkUnsupported) || errors.Is(err, salesforce.ErrBulkLimitExceeded) ||
		errors.Is(err, salesforce.ErrBulkJobFailed) || errors.Is(err, salesforce.ErrBulkJobAborted)
}

// bulkOptions are the job options of every Bulk read: queryAll, and the
// job's polls waiting through the backfill's sleeper.
// Each state Salesforce reports while it processes the job is reported
// once, as it changes, so the progress display follows the job.
func (j *job) bulkOptions(run *objectRun) salesforce.BulkQueryOptions {
	last := ""
	return salesforce.BulkQueryOptions{IncludeDeleted: true, MaxRecords: j.cfg.BulkMaxRecords, Sleep: j.opts.Sleep, OnPoll: func(info salesforce.BulkJobInfo) {
		if info.State != last {
			last = info.State
			j.reportBulk(run, info)
		}
	}}
}

// bulkPass reads the object through a Bulk API 2.0 job: a new one from
// the watermark, or the stored one from its stored locator. It reports
// false (nothing read, nothing lost) when the REST pass should be used
// instead: the job was refused or failed.
func (j *job) bulkPass(ctx context.Context, run *objectRun, s sink) (bool, error) {
	c := run.cursor
	bj, locator, err := j.openBulk(ctx, run)
	if bulkRefused(err) {
		j.log.Warn("Bulk API 2.0 query not used; reading over REST", "object", c.object, "reason", err.Error())
		return false, j.clearBulk(ctx, run)
	}
	if err != nil {
		return false, j.stopPass(ctx, run, s, fmt.Errorf("backfill %s: %w", c.object, err))
	}
	if err := j.readBulk(ctx, run, s, bj, locator); err != nil {
		return false, j.stopPass(ctx, run, s, fmt.Errorf("backfill %s: %w", c.object, err))
	}
	return true, nil
}

// openBulk reopens the stored job (unless its results expired) or
// creates one, and waits for it to complete.
func (j *job) openBulk(ctx context.Context, run *objectRun) (*salesforce.BulkJob, string, error) {
	c := run.cursor
	if c.bulk.job != "" {
		bj, err := j.reopenBulk(ctx, run)
		if err == nil {
			return bj, c.bulk.locator, nil
		}
		if !errors.Is(err, salesforce.ErrBulkJobGone) {
			return nil, "", err
		}
		j.log.Warn("the stored Bulk query job's results are gone; starting a new job from the watermark",
			"object", c.object, "job", c.bulk.job)
		c.bulk = bulkPoint{}
	}
	bj, err := j.createBulk(ctx, run)
	return bj, "", err
}

// reopenBulk opens the stored job and waits for it, as a resumed run.
func (j *job) reopenBulk(ctx context.Context, run *objectRun) (*salesforce.BulkJob, error) {
	var bj *salesforce.BulkJob
	err := j.rd.do(ctx, "open Bulk query job", func(ctx context.Context) error {
		var err error
		bj, err = j.opts.Salesforce.OpenBulkJob(ctx, run.cursor.bulk.job, j.bulkOptions(run))
		return err
	})
	if err != nil {
		return nil, err
	}
	run.passes++
	run.forgetBefore(run.cursor.bounds(j.cfg.Overlap).from)
	return bj, j.waitBulk(ctx, run, bj)
}

// createBulk starts a job with the REST pass's SELECT (same bounds, same
// order, so the settled-prefix watermark works unchanged).
func (j *job) createBulk(ctx context.Context, run *objectRun) (*salesforce.BulkJob, error) {
	run.passes++
	bounds := run.cursor.bounds(j.cfg.Overlap)
	run.forgetBefore(bounds.from)
	soql := selectSOQL(run.cursor.object, run.cursor.fields, bounds)
	var bj *salesforce.BulkJob
	err := j.rd.do(ctx, "create Bulk query job", func(ctx context.Context) error {
		var err error
		bj, err = j.opts.Salesforce.BulkQuery(ctx, soql, j.bulkOptions(run))
		return err
	})
	if err != nil {
		return nil, err
	}
	return bj, j.waitBulk(ctx, run, bj)
}

// waitBulk waits for the job to complete, reporting its state.
// Every state the polls see is reported as it changes (bulkOptions).
func (j *job) waitBulk(ctx context.Context, _ *objectRun, bj *salesforce.BulkJob) error {
	return j.rd.do(ctx, "wait for Bulk query job", func(ctx context.Context) error {
		_, err := bj.Wait(ctx)
		return err
	})
}

// readBulk hands the job's pages on from locator. After each page is
// settled the watermark is saved with the next page's locator, so a stop
// re-reads at most the page it was in; after the last, without the job.
func (j *job) readBulk(ctx context.Context, run *objectRun, s sink, bj *salesforce.BulkJob, locator string) error {
	c := run.cursor
	start := c.saved
	if c.bulk.job != bj.ID() {
		// A new job is stored before its first page is read: a run killed
		// in that page reads the same results again instead of making
		// Salesforce run the query again (a job of the daily allowance).
		c.bulk = bulkPoint{job: bj.ID(), locator: locator}
		if err := j.saveBulkPoint(ctx, run); err != nil {
			return err
		}
	}
	for {
		c.bulk = bulkPoint{job: bj.ID(), locator: locator}
		next, err := j.bulkPage(ctx, run, s, bj, locator, start)
		if err != nil {
			return err
		}
		if err := s.settle(ctx, run, true); err != nil {
			return err
		}
		c.bulk = bulkPoint{job: bj.ID(), locator: next}
		if next == "" {
			c.bulk = bulkPoint{}
		}
		if err := j.saveBulkPoint(ctx, run); err != nil {
			return err
		}
		j.report(run, PhaseReading)
		if next == "" {
			return nil
		}
		locator = next
	}
}

// saveBulkPoint stores the watermark with the cursor's Bulk resume point
// (a save after an Estimate's page does nothing).
func (j *job) saveBulkPoint(ctx context.Context, run *objectRun) error {
	if run.tracker == nil || run.frozen {
		return nil
	}
	return j.save(ctx, run.cursor, run.cursor.saved)
}

// clearBulk forgets a stored job before the REST pass, so a later run
// does not go back to it.
func (j *job) clearBulk(ctx context.Context, run *objectRun) error {
	if run.cursor.bulk == (bulkPoint{}) {
		return nil
	}
	run.cursor.bulk = bulkPoint{}
	if run.cursor.saved.Modstamp.IsZero() {
		// A job stored before any position: there is no position to keep
		// without it, and the pass after it stores its own.
		return nil
	}
	return j.saveBulkPoint(ctx, run)
}

// reportBulk reports a job's state.
func (j *job) reportBulk(run *objectRun, info salesforce.BulkJobInfo) {
	j.opts.Progress(Progress{
		Phase: PhaseBulkJob, Object: run.cursor.object, Total: max(run.total+run.extra, run.read),
		Read: run.read, Rechecked: run.recheck, Pass: run.passes, Counts: run.outcomes(), Watermark: run.cursor.saved,
		BulkJob: info.ID, BulkState: info.State,
	})
}

// requestEstimates are the API requests reading records would take over
// REST (2,000-row pages, plus the count) and through a Bulk job (create,
// polls, results pages, the count).
func requestEstimates(records int) (rest, bulk int) {
	rest = pagesOf(records, salesforce.MaxQueryBatchSize) + 1
	bulk = 1 + estimatedBulkPolls + pagesOf(records, estimatedBulkPageRecords) + 1
	return rest, bulk
}

// pagesOf is the pages of size rows that records fill (at least one).
func pagesOf(records, size int) int {
	return max((records+size-1)/size, 1)
}
