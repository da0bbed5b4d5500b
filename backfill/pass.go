package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// row is one queried record and its position.
type row struct {
	rec salesforce.Record
	pos Position
}

// sink is what a pass hands its records to: the uploader for Run, the
// hash comparison for Estimate.
type sink interface {
	// take handles one page of rows, in order.
	take(ctx context.Context, run *objectRun, rows []row) error
	// settle saves what is settled; final waits for every outcome first.
	settle(ctx context.Context, run *objectRun, final bool) error
}

// objectRun is one object's state during a Run or Estimate.
type objectRun struct {
	cursor  *cursor
	tracker *tracker // Run only
	counts  Counts   // Estimate only; Run counts in the tracker
	counted bool     // COUNT() ran
	frozen  bool     // a dead letter could not be stored: save nothing more
	total   int      // COUNT() at the start
	extra   int      // changes found by passes after the first
	read    int
	recheck int
	passes  int
	// api and apiReason are how the last read went, for the summary.
	api, apiReason string
	// restRequests and bulkRequests are Estimate's request estimates.
	restRequests, bulkRequests int
	// seen holds the records this process handed on, by ID, with their
	// SystemModstamp, as far back as the next query re-reads: a re-read
	// record at the same stamp is the same version and is skipped, so the
	// overlap neither dead-letters a record twice nor re-sends one CM
	// refused.
	seen map[string]time.Time
}

// forgetBefore drops what no query can re-read any more.
func (r *objectRun) forgetBefore(t time.Time) {
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for id, stamp := range r.seen {
		if stamp.Before(t) {
			delete(r.seen, id)
		}
	}
}

// handedOn reports whether the record was handed on at this version.
func (r *objectRun) handedOn(p Position) bool {
	stamp, ok := r.seen[p.ID]
	return ok && stamp.Equal(p.Modstamp)
}

func (r *objectRun) outcomes() Counts {
	if r.tracker != nil {
		return r.tracker.snapshot()
	}
	return r.counts
}

// catchUp reads the object from its watermark up to the catch-up's end
// (Request.UpTo, or the instant it began on Salesforce's clock), in one
// pass. Records changed while it reads are stamped after that end: they
// are left to whoever covers what follows (the stream, the next poll or
// the next run) instead of being chased pass after pass, which under
// steady traffic never ended. Only an expired query locator makes a
// second query, from the watermark saved so far.
func (j *job) catchUp(ctx context.Context, run *objectRun, req Request, s sink) error {
	if err := j.bound(ctx, run, req); err != nil {
		return err
	}
	if !run.counted {
		n, err := j.rd.count(ctx, countSOQL(run.cursor.object, run.cursor.bounds(0), run.cursor.countFrom()))
		if err != nil {
			return fmt.Errorf("backfill %s: %w", run.cursor.object, err)
		}
		run.total, run.counted = n, true
	}
	for {
		complete, err := j.readOnce(ctx, run, s)
		if err != nil {
			return err
		}
		if complete {
			j.report(run, PhaseCaughtUp)
			return nil
		}
	}
}

// readOnce reads the object once: the stored Bulk job from its locator
// (a resumed run), else through whichever API chooseAPI picks, REST when
// Salesforce refuses or fails the Bulk job. It reports false when another
// read must follow: a resumed job covered an earlier catch-up's range
// only, a Bulk job was refused, or a query locator expired.
func (j *job) readOnce(ctx context.Context, run *objectRun, s sink) (bool, error) {
	if run.cursor.bulk.job != "" {
		j.log.Info("resuming the stored Bulk API 2.0 query job", "object", run.cursor.object, "job", run.cursor.bulk.job)
		done, err := j.bulkPass(ctx, run, s)
		if err != nil || !done {
			return false, err
		}
		return false, nil // the job read up to an earlier end: read on from the watermark
	}
	choice := j.chooseAPI(ctx, run.cursor, max(run.total-run.read, 0))
	run.api, run.apiReason = apiREST, choice.reason
	if choice.bulk {
		run.api = apiBulk
		j.log.Info("reading through a Bulk API 2.0 query job", "object", run.cursor.object, "reason", choice.reason)
		done, err := j.bulkPass(ctx, run, s)
		if err != nil || done {
			return done, err
		}
		run.api, run.apiReason = apiREST, "Bulk API 2.0 refused or failed the job"
	}
	return j.pass(ctx, run, s)
}

// bound sets the end of the catch-up about to begin: Request.UpTo, or
// Salesforce's current time rounded up past its second (its clock is read
// to the second, up to a second behind), so every record changed before
// the catch-up began is within it.
func (j *job) bound(ctx context.Context, run *objectRun, req Request) error {
	if !req.UpTo.IsZero() {
		run.cursor.upTo = req.UpTo.UTC()
		return nil
	}
	now, err := j.rd.serverNow(ctx)
	if err != nil {
		return fmt.Errorf("backfill %s: %w", run.cursor.object, err)
	}
	run.cursor.upTo = now.UTC().Add(time.Second)
	return nil
}

// pass runs one query from the watermark (less the overlap) up to the
// catch-up's end and hands every row on. It reports false when the query
// locator expired before the last page: what was read is settled, and
// another pass goes on from the watermark.
func (j *job) pass(ctx context.Context, run *objectRun, s sink) (bool, error) {
	run.passes++
	start := run.cursor.saved
	bounds := run.cursor.bounds(j.cfg.Overlap)
	run.forgetBefore(bounds.from)
	soql := selectSOQL(run.cursor.object, run.cursor.fields, bounds)
	err := j.rd.pages(ctx, soql, func(page salesforce.QueryPage) error {
		rows, err := j.rowsOf(run, page, start)
		if err != nil {
			return err
		}
		if err := s.take(ctx, run, rows); err != nil {
			return err
		}
		if err := s.settle(ctx, run, false); err != nil {
			return err
		}
		j.report(run, PhaseReading)
		return nil
	})
	if isLocatorExpired(err) {
		j.log.Warn("query locator expired; querying again from the watermark", "object", run.cursor.object)
		return false, s.settle(ctx, run, true)
	}
	if err != nil {
		return false, j.stopPass(ctx, run, s, fmt.Errorf("backfill %s: %w", run.cursor.object, err))
	}
	return true, s.settle(ctx, run, true)
}

// stopPass ends a pass that failed on the Salesforce side (the budget, a
// refused query) cleanly: what was handed on is still delivered and the
// watermark saved. After a signal or an uploader stop, Run saves instead.
func (j *job) stopPass(ctx context.Context, run *objectRun, s sink, err error) error {
	if ctx.Err() != nil || errors.Is(err, uploader.ErrStopped) || (run.tracker != nil && run.tracker.failed() != nil) {
		return err
	}
	if serr := s.settle(ctx, run, true); serr != nil {
		return fmt.Errorf("%w (and saving the progress before it failed: %v)", err, serr)
	}
	return err
}

// rowsOf reads a page's positions, counts the rows after start, and
// leaves out re-read rows this process already handed on.
func (j *job) rowsOf(run *objectRun, page salesforce.QueryPage, start Position) ([]row, error) {
	rows := make([]row, 0, len(page.Records))
	for _, rec := range page.Records {
		pos, err := positionOf(rec)
		if err != nil {
			return nil, err
		}
		switch {
		case pos.After(start):
			run.read++
			if run.passes > 1 {
				run.extra++
			}
		case run.handedOn(pos):
			run.recheck++
			continue
		default:
			run.recheck++
		}
		run.seen[pos.ID] = pos.Modstamp
		rows = append(rows, row{rec: rec, pos: pos})
	}
	return rows, nil
}

// mapperRecord is the mapper's view of a queried record.
func mapperRecord(object string, r row) mapper.Record {
	deleted, _ := r.rec[fieldIsDeleted].(bool)
	return mapper.Record{Object: object, ID: r.pos.ID, Fields: r.rec, Deleted: deleted}
}

func isLocatorExpired(err error) bool {
	var api *salesforce.APIError
	return errors.As(err, &api) && api.Code == "INVALID_QUERY_LOCATOR"
}

// report sends a Progress report for run.
func (j *job) report(run *objectRun, phase Phase) {
	j.opts.Progress(Progress{
		Phase: phase, Object: run.cursor.object, Total: max(run.total+run.extra, run.read),
		Read: run.read, Rechecked: run.recheck, Pass: run.passes, Counts: run.outcomes(), Watermark: run.cursor.saved,
	})
}

// summary is run's ObjectSummary.
func (r *objectRun) summary() ObjectSummary {
	return ObjectSummary{Object: r.cursor.object, Total: r.total, Read: r.read, Rechecked: r.recheck,
		Passes: r.passes, Counts: r.outcomes(), Watermark: r.cursor.saved, API: r.api, APIReason: r.apiReason,
		RESTRequests: r.restRequests, BulkRequests: r.bulkRequests}
}
