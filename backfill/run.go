package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// finalSaveTimeout bounds the last watermark save after the run's context
// ended (a signal), so a stop keeps the progress made.
const finalSaveTimeout = 10 * time.Second

// Run reads the requested objects and delivers their comments, saving each
// object's watermark as records settle. It returns when every object is
// caught up (or, with Follow, when ctx ends), at the first error that
// retrying cannot fix, or at the API budget (a *BudgetError). Whatever
// ended it, the watermark saved covers every settled record, so the next
// Run resumes there.
func (b *Backfill) Run(ctx context.Context, req Request) (Summary, error) {
	if err := checkRequest(req); err != nil {
		return Summary{}, err
	}
	oms, err := b.objects(req)
	if err != nil {
		return Summary{}, err
	}
	began, callsBefore := b.opts.Now(), b.opts.Salesforce.Usage().Calls
	up, err := b.newUploader()
	if err != nil {
		return Summary{}, err
	}
	upCtx, stopUploads := context.WithCancel(context.WithoutCancel(ctx))
	upDone := make(chan error, 1)
	go func() { upDone <- up.Run(upCtx) }()

	j := b.newJob()
	s := &uploadSink{j: j, up: up}
	runs, err := j.runAll(ctx, oms, req, s)
	stopUploads() // queued items are reported as not delivered; requests in flight finish
	if upErr := <-upDone; upErr != nil {
		err = upErr // a fatal CM answer explains the stop better than ErrStopped
	}
	err = errors.Join(err, j.saveFinal(ctx, runs, s))
	return b.summarize(runs, up.Stats(), began, callsBefore), err
}

// runAll catches up every object, and in follow mode polls again after
// each interval until ctx ends.
func (j *job) runAll(ctx context.Context, oms []mapper.ObjectMapping, req Request, s sink) ([]*objectRun, error) {
	var runs []*objectRun
	for _, om := range oms {
		c, err := j.openCursor(ctx, om, req)
		if err != nil {
			return runs, err
		}
		runs = append(runs, &objectRun{cursor: c, tracker: &tracker{object: om.Object}})
	}
	for {
		for _, run := range runs {
			if err := j.catchUp(ctx, run, req, s); err != nil {
				return runs, err
			}
		}
		if !req.Follow {
			return runs, nil
		}
		j.opts.Progress(Progress{Phase: PhaseWaiting})
		if err := j.opts.Sleep(ctx, j.cfg.PollInterval); err != nil {
			return runs, nil // ctx ended: following stops cleanly
		}
	}
}

// saveFinal commits, after the uploader stopped, what settled since the
// last save, even when ctx has ended.
func (j *job) saveFinal(ctx context.Context, runs []*objectRun, s *uploadSink) error {
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSaveTimeout)
	defer cancel()
	var errs []error
	for _, run := range runs {
		errs = append(errs, s.saveSettled(saveCtx, run))
	}
	return errors.Join(errs...)
}

func (b *Backfill) newUploader() (*uploader.Uploader[token], error) {
	cfg := b.opts.Upload
	cfg.MaxConcurrentRequests = b.cfg.UploadConcurrency
	return uploader.New(cfg, uploader.Options[token]{
		Hashes:     replay.OrgHashes{Store: b.opts.Store, Org: b.opts.Org},
		Report:     func(o uploader.Outcome[token]) { o.Token.t.resolve(o.Token, o) },
		HTTPClient: b.opts.UploadHTTPClient,
		Logger:     b.log,
	})
}

func (b *Backfill) summarize(runs []*objectRun, st uploader.Stats, began time.Time, callsBefore int64) Summary {
	s := Summary{
		Upload: UploadStats{SyncRequests: st.SyncRequests, DeleteRequests: st.DeleteRequests,
			New: st.New, Updated: st.Updated, Unchanged: st.Unchanged, BillableUnits: st.BillableUnits},
		Elapsed: b.opts.Now().Sub(began),
	}
	for _, run := range runs {
		o := run.summary()
		s.Objects = append(s.Objects, o)
		s.Counts.add(o.Counts)
	}
	u := b.opts.Salesforce.Usage()
	s.RESTCalls, s.APIUsed, s.APILimit = u.Calls-callsBefore, u.Used, u.Limit
	return s
}

// uploadSink maps records and submits them to the uploader; it saves the
// watermark as their outcomes settle.
type uploadSink struct {
	j  *job
	up *uploader.Uploader[token]
}

func (s *uploadSink) take(ctx context.Context, run *objectRun, rows []row) error {
	for _, r := range rows {
		res, err := s.j.opts.Mapper.Map(mapperRecord(run.cursor.object, r))
		var recErr *mapper.RecordError
		switch {
		case errors.As(err, &recErr):
			run.tracker.addDead(r.pos, unmappable(run.cursor.object, r.pos, err))
			continue
		case err != nil:
			return err
		}
		tok := run.tracker.add(r.pos)
		if err := s.up.Submit(ctx, uploader.Item[token]{Result: res, Token: tok}); err != nil {
			run.tracker.abandon(err)
			return fmt.Errorf("backfill %s: %w", run.cursor.object, err)
		}
	}
	return nil
}

func (s *uploadSink) settle(ctx context.Context, run *objectRun, final bool) error {
	if final {
		if err := s.up.Flush(ctx); err != nil {
			return fmt.Errorf("backfill %s: wait for uploads: %w", run.cursor.object, err)
		}
	}
	return s.commit(ctx, run)
}

// commit saves the settled prefix and returns the first record that was
// not delivered, which holds the watermark before it.
func (s *uploadSink) commit(ctx context.Context, run *objectRun) error {
	if err := s.saveSettled(ctx, run); err != nil {
		return err
	}
	if failure := run.tracker.failed(); failure != nil {
		return fmt.Errorf("backfill %s: %w", run.cursor.object, failure)
	}
	return nil
}

// saveSettled stores the dead letters of the settled prefix, then moves
// the watermark past it. After a dead letter could not be stored, nothing
// more is saved for the object: its record must be read again.
func (s *uploadSink) saveSettled(ctx context.Context, run *objectRun) error {
	if run.frozen {
		return nil
	}
	last, ok, dead := run.tracker.advance()
	if err := s.j.storeDeadLetters(ctx, run.cursor.object, dead); err != nil {
		run.frozen = true
		return err
	}
	if ok && last.After(run.cursor.saved) {
		return s.j.save(ctx, run.cursor, last)
	}
	return nil
}

func unmappable(object string, pos Position, err error) replay.DeadLetter {
	return replay.DeadLetter{Object: object, RecordID: pos.ID, Reason: reasonUnmappable, Error: err.Error(), Attempts: 1}
}
