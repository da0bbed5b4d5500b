package backfill

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/salesforce"
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
	total   int      // COUNT() at the start
	extra   int      // changes found by passes after the first
	read    int
	recheck int
	passes  int
}

func (r *objectRun) outcomes() Counts {
	if r.tracker != nil {
		return r.tracker.snapshot()
	}
	return r.counts
}

// catchUp reads the object until a pass finds nothing after the
// watermark: records changed while the backfill ran are read again in
// their newest version by the next pass.
func (b *Backfill) catchUp(ctx context.Context, run *objectRun, s sink) error {
	if !run.counted {
		n, err := b.reader.count(ctx, countSOQL(run.cursor.object, run.cursor.bounds(0), run.cursor.countFrom()))
		if err != nil {
			return fmt.Errorf("backfill %s: %w", run.cursor.object, err)
		}
		run.total, run.counted = n, true
	}
	for {
		found, err := b.pass(ctx, run, s)
		if err != nil {
			return err
		}
		if found == 0 {
			b.report(run, PhaseCaughtUp)
			return nil
		}
	}
}

// pass runs one query from the watermark (less the overlap) and hands
// every row on; it returns how many rows came after the watermark.
func (b *Backfill) pass(ctx context.Context, run *objectRun, s sink) (int, error) {
	run.passes++
	start := run.cursor.saved
	soql := selectSOQL(run.cursor.object, run.cursor.fields, run.cursor.bounds(b.cfg.Overlap))
	found := 0
	err := b.reader.pages(ctx, soql, func(page salesforce.QueryPage) error {
		rows, n, err := b.rowsOf(run, page, start)
		if err != nil {
			return err
		}
		found += n
		if err := s.take(ctx, run, rows); err != nil {
			return err
		}
		if err := s.settle(ctx, run, false); err != nil {
			return err
		}
		b.report(run, PhaseReading)
		return nil
	})
	if isLocatorExpired(err) {
		// The query locator timed out: settle, then read on with a new
		// query from the watermark.
		b.log.Warn("query locator expired; querying again from the watermark", "object", run.cursor.object)
		return max(found, 1), s.settle(ctx, run, true)
	}
	if err != nil {
		return found, fmt.Errorf("backfill %s: %w", run.cursor.object, err)
	}
	return found, s.settle(ctx, run, true)
}

// rowsOf reads a page's positions and counts the rows after start.
func (b *Backfill) rowsOf(run *objectRun, page salesforce.QueryPage, start Position) ([]row, int, error) {
	rows := make([]row, 0, len(page.Records))
	found := 0
	for _, rec := range page.Records {
		pos, err := positionOf(rec)
		if err != nil {
			return nil, 0, err
		}
		if pos.After(start) {
			found++
			run.read++
			if run.passes > 1 {
				run.extra++
			}
		} else {
			run.recheck++
		}
		rows = append(rows, row{rec: rec, pos: pos})
	}
	return rows, found, nil
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
func (b *Backfill) report(run *objectRun, phase Phase) {
	b.opts.Progress(Progress{
		Phase: phase, Object: run.cursor.object, Total: max(run.total+run.extra, run.read),
		Read: run.read, Rechecked: run.recheck, Pass: run.passes, Counts: run.outcomes(), Watermark: run.cursor.saved,
	})
}

// summary is run's ObjectSummary.
func (r *objectRun) summary() ObjectSummary {
	return ObjectSummary{Object: r.cursor.object, Total: r.total, Read: r.read, Rechecked: r.recheck,
		Passes: r.passes, Counts: r.outcomes(), Watermark: r.cursor.saved}
}
