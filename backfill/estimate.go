package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
)

// Estimate reads what Run would read for req and compares each comment
// with the hashes of what CM last accepted, without uploading or saving
// anything: Counts are what Run would do and BillableUnits what CM would
// bill, as long as no record changes in between. It reads one pass (the
// later passes of a Run only re-read records changed meanwhile), through
// the API Run would choose, and counts against the same API budget.
func (b *Backfill) Estimate(ctx context.Context, req Request) (Estimate, error) {
	req.Follow = false
	if err := checkRequest(req); err != nil {
		return Estimate{}, err
	}
	oms, err := b.objects(req)
	if err != nil {
		return Estimate{}, err
	}
	began, callsBefore := b.opts.Now(), b.opts.Salesforce.Usage().Calls
	j := b.newJob()
	s := &estimateSink{j: j, hashes: replay.OrgHashes{Store: b.opts.Store, Org: b.opts.Org}}
	var est Estimate
	for _, om := range oms {
		c, err := j.openCursor(ctx, om, req)
		if err != nil {
			return est, err
		}
		run := &objectRun{cursor: c}
		err = j.estimateObject(ctx, run, req, s)
		o := run.summary()
		est.Objects = append(est.Objects, o)
		est.Counts.add(o.Counts)
		if err != nil {
			return b.finishEstimate(est, began, callsBefore), err
		}
	}
	return b.finishEstimate(est, began, callsBefore), nil
}

func (j *job) estimateObject(ctx context.Context, run *objectRun, req Request, s sink) error {
	if err := j.bound(ctx, run, req); err != nil {
		return err
	}
	n, err := j.rd.count(ctx, countSOQL(run.cursor.object, run.cursor.bounds(0), run.cursor.countFrom()))
	if err != nil {
		return fmt.Errorf("estimate %s: %w", run.cursor.object, err)
	}
	run.total, run.counted = n, true
	choice := j.chooseAPI(ctx, run.cursor, n)
	run.api, run.apiReason = apiREST, choice.reason
	if choice.bulk {
		run.api = apiBulk
	}
	run.restRequests, run.bulkRequests = requestEstimates(n)
	if err := j.estimateRead(ctx, run, choice, s); err != nil {
		return err
	}
	j.report(run, PhaseCaughtUp)
	return nil
}

// estimateRead reads the records the way Run would: through a Bulk job
// when Run would use one (a dry run of millions of records must not cost
// the thousands of REST pages the Bulk choice avoids), else, or when
// Salesforce refuses the job, over REST. The estimate sink stores
// nothing, so the job is not remembered.
func (j *job) estimateRead(ctx context.Context, run *objectRun, choice apiChoice, s sink) error {
	if choice.bulk {
		done, err := j.bulkPass(ctx, run, s)
		if err != nil || done {
			return err
		}
		run.api, run.apiReason = apiREST, "Bulk API 2.0 refused or failed the job"
	}
	_, err := j.pass(ctx, run, s)
	return err
}

func (b *Backfill) finishEstimate(est Estimate, began time.Time, callsBefore int64) Estimate {
	u := b.opts.Salesforce.Usage()
	est.RESTCalls, est.APIUsed, est.APILimit = u.Calls-callsBefore, u.Used, u.Limit
	est.Elapsed = b.opts.Now().Sub(began)
	return est
}

// estimateSink decides what Run would do with each record.
type estimateSink struct {
	j      *job
	hashes replay.OrgHashes
}

func (s *estimateSink) take(ctx context.Context, run *objectRun, rows []row) error {
	var results []mapper.Result
	var ids []string
	for _, r := range rows {
		res, err := s.j.opts.Mapper.Map(mapperRecord(run.cursor.object, r))
		var recErr *mapper.RecordError
		switch {
		case errors.As(err, &recErr):
			run.counts.DeadLettered++
			continue
		case err != nil:
			return err
		}
		results = append(results, res)
		if res.Kind == mapper.ResultUpsert {
			ids = append(ids, res.CommentID)
		}
	}
	known, err := s.lookup(ctx, ids)
	if err != nil {
		return fmt.Errorf("estimate %s: %w", run.cursor.object, err)
	}
	for _, res := range results {
		last, ok := known[res.CommentID]
		run.counts.count(mapper.Decide(res, last, ok))
	}
	return nil
}

func (s *estimateSink) lookup(ctx context.Context, ids []string) (map[string]mapper.Hashes, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var known map[string]mapper.Hashes
	err := s.j.retry.do(ctx, "read content hashes", transientStore, func(ctx context.Context) error {
		var err error
		known, err = s.hashes.Get(ctx, ids)
		return err
	})
	return known, err
}

// settle has nothing to save: an estimate leaves no trace.
func (s *estimateSink) settle(context.Context, *objectRun, bool) error { return nil }
