package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
)

// cursor is where one object's reading stands: the saved watermark, under
// the object's name or a window's, and the request's bounds.
type cursor struct {
	object string
	name   string // the watermark's name in the store
	fields []string
	since  time.Time
	until  time.Time // the window's end (Request.Until)
	upTo   time.Time // the current catch-up's end: Request.UpTo or its start instant
	saved  Position  // the watermark as last saved (or read at start)
	bulk   bulkPoint // the Bulk job being read, saved with the watermark
}

// openCursor reads the object's watermark (or its window's).
func (j *job) openCursor(ctx context.Context, om mapper.ObjectMapping, req Request) (*cursor, error) {
	fields, err := j.opts.Mapper.FetchFields(om.Object)
	if err != nil {
		return nil, err
	}
	c := &cursor{object: om.Object, name: om.Object, fields: fields, since: req.Since.UTC(), until: req.Until.UTC()}
	if !req.Until.IsZero() {
		c.name = WindowName(om.Object, req.Since, req.Until)
	}
	var w replay.Watermark
	err = j.retry.do(ctx, "read watermark", transientStore, func(ctx context.Context) error {
		var err error
		w, err = j.opts.Store.Watermark(ctx, j.opts.Org, c.name)
		return err
	})
	switch {
	case errors.Is(err, replay.ErrNotFound):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("backfill %s: %w", om.Object, err)
	}
	if c.saved, err = positionOfWatermark(w); err != nil {
		return nil, fmt.Errorf("backfill %s: %w", om.Object, err)
	}
	c.bulk = bulkPoint{job: w.BulkJob, locator: w.BulkLocator}
	return c, nil
}

// bounds are the next query's: from the watermark less the overlap, or
// from Since when that is later.
func (c *cursor) bounds(overlap time.Duration) bounds {
	from := c.since
	if !c.saved.IsZero() {
		if start := c.saved.Modstamp.Add(-overlap); start.After(from) {
			from = start
		}
	}
	until := c.until
	if !c.upTo.IsZero() && (until.IsZero() || c.upTo.Before(until)) {
		until = c.upTo
	}
	return bounds{from: from, until: until}
}

// countFrom is the position new records come after: the watermark, or
// just before Since when that is later.
func (c *cursor) countFrom() Position {
	if c.since.After(c.saved.Modstamp) {
		return Position{Modstamp: c.since}
	}
	return c.saved
}

// save stores the watermark, with the Bulk job being read (if any) and
// retries.
func (j *job) save(ctx context.Context, c *cursor, p Position) error {
	w := p.watermark()
	w.BulkJob, w.BulkLocator = c.bulk.job, c.bulk.locator
	err := j.retry.do(ctx, "save watermark", transientStore, func(ctx context.Context) error {
		return j.opts.Store.SaveWatermark(ctx, j.opts.Org, c.name, w)
	})
	if err != nil {
		return fmt.Errorf("backfill %s: %w", c.object, err)
	}
	c.saved = p
	return nil
}

// storeDeadLetters keeps dead letters before the watermark may pass them.
func (j *job) storeDeadLetters(ctx context.Context, object string, dead []replay.DeadLetter) error {
	for _, d := range dead {
		err := j.retry.do(ctx, "store dead letter", transientStore, func(ctx context.Context) error {
			_, err := j.opts.Store.AddDeadLetter(ctx, j.opts.Org, d)
			return err
		})
		if err != nil {
			return fmt.Errorf("backfill %s: dead-letter record %s: %w", object, d.RecordID, err)
		}
		j.log.Warn("dead-lettered a record", "object", object, "record", d.RecordID, "reason", d.Reason, "error", d.Error)
	}
	return nil
}
