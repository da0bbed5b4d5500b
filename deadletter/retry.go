package deadletter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// WindowHalf is how far before and after a dead-lettered event's commit
// time its retry re-reads records: the change is stamped within moments
// of its commit, the margin absorbs clock skew and slow commits.
const WindowHalf = 5 * time.Minute

// Outcome is what a retry did with one dead letter.
type Outcome int

const (
	// Done: delivered (or nothing left to deliver); the dead letter is
	// deleted.
	Done Outcome = iota + 1
	// Failed: kept, with one more attempt and the new error (Result.After
	// holds it, parked or not), or gone meanwhile (Result.Gone).
	Failed
	// Skipped: there is nothing a retry can do (an event without a commit
	// time); kept untouched, Result.Detail says what the operator can do.
	Skipped
	// Interrupted: the retry was cancelled before its answer; kept
	// unchanged, the attempt does not count.
	Interrupted
)

// Result is one dead letter's outcome, reported as soon as it is settled.
type Result struct {
	// DeadLetter is the dead letter as it was before the retry.
	DeadLetter replay.DeadLetter
	Outcome    Outcome
	// Detail says what was done (Done, Skipped) or why it failed (Failed;
	// redacted).
	Detail string
	// After is the dead letter as stored after a failure: attempts, next
	// attempt, parked.
	After replay.DeadLetter
	// Gone is set when a failed dead letter was deleted meanwhile, so
	// nothing was recorded.
	Gone bool
}

// Tally counts the outcomes of a retry.
type Tally struct{ Done, Failed, Skipped, Interrupted, Parked int }

func (t *Tally) count(res Result) {
	switch res.Outcome {
	case Done:
		t.Done++
	case Failed:
		t.Failed++
		if res.After.Parked && !res.DeadLetter.Parked {
			t.Parked++
		}
	case Skipped:
		t.Skipped++
	case Interrupted:
		t.Interrupted++
	}
}

// Retry retries dls now, record dead letters first, each group oldest
// first, whether parked or due or not: the caller chose them. Each
// settled dead letter is passed to report (nil: none) and counted. It
// returns an error only when the store fails to settle one (its retry
// then stops) or ctx ends while an event's window is read; dead letters
// not yet settled are kept unchanged.
func (r *Retrier) Retry(ctx context.Context, dls []replay.DeadLetter, report func(Result)) (Tally, error) {
	p := &pass{Retrier: r, report: report}
	var records, events []replay.DeadLetter
	for _, dl := range dls {
		if dl.Object != "" && dl.RecordID != "" {
			records = append(records, dl)
		} else {
			events = append(events, dl)
		}
	}
	slices.SortFunc(records, byArrival)
	slices.SortFunc(events, byArrival)
	if err := p.retryRecords(ctx, records); err != nil {
		return p.tally, err
	}
	err := p.retryEvents(ctx, events)
	return p.tally, err
}

// byArrival orders dead letters by ID: decimal numbers that grow with
// each dead letter of the org, so the shorter is the older.
func byArrival(a, b replay.DeadLetter) int {
	if len(a.ID) != len(b.ID) {
		return len(a.ID) - len(b.ID)
	}
	return strings.Compare(a.ID, b.ID)
}

// pass is one Retry: where results go, and the tally.
type pass struct {
	*Retrier
	report func(Result)
	tally  Tally
	// park, in the automatic retrier, parks what a retry cannot help
	// (Skipped) rather than meeting it again at every pass.
	park bool
}

func (p *pass) settle(res Result) {
	p.tally.count(res)
	if p.report != nil {
		p.report(res)
	}
}

// succeeded deletes the dead letter of a retry that worked.
func (p *pass) succeeded(ctx context.Context, dl replay.DeadLetter, what string) error {
	err := p.opts.Store.DeleteDeadLetter(ctx, p.cfg.Org, dl.ID)
	if err != nil && !errors.Is(err, replay.ErrNotFound) {
		return fmt.Errorf("%s: %s, but deleting the dead letter failed: %w", dl.ID, what, err)
	}
	p.settle(Result{DeadLetter: dl, Outcome: Done, Detail: what})
	return nil
}

// failed records a retry that did not work: attempts+1, the new error,
// the next attempt by the policy, parked at the policy's limit.
func (p *pass) failed(ctx context.Context, dl replay.DeadLetter, cause string) error {
	cause = redact.Text(cause)
	updated, err := p.opts.Store.RecordDeadLetterRetry(ctx, p.cfg.Org, dl.ID, p.cfg.Policy.retry(dl, cause, p.opts.Clock.Now()))
	res := Result{DeadLetter: dl, Outcome: Failed, Detail: cause, After: updated}
	switch {
	case errors.Is(err, replay.ErrNotFound):
		res.Gone = true
	case err != nil:
		return fmt.Errorf("%s: failed again (%s), and recording the attempt failed: %w", dl.ID, cause, err)
	}
	p.settle(res)
	return nil
}

// skipped reports a dead letter no retry can help; the automatic retrier
// parks it at once.
func (p *pass) skipped(ctx context.Context, dl replay.DeadLetter, why string) error {
	if !p.park {
		p.settle(Result{DeadLetter: dl, Outcome: Skipped, Detail: why})
		return nil
	}
	updated, err := p.opts.Store.RecordDeadLetterRetry(ctx, p.cfg.Org, dl.ID, replay.DeadLetterRetry{Error: why, ParkAt: 1})
	switch {
	case errors.Is(err, replay.ErrNotFound):
		p.settle(Result{DeadLetter: dl, Outcome: Failed, Detail: why, Gone: true})
	case err != nil:
		return fmt.Errorf("%s: cannot be retried (%s), and parking it failed: %w", dl.ID, why, err)
	default:
		p.settle(Result{DeadLetter: dl, Outcome: Failed, Detail: why, After: updated})
	}
	return nil
}

func (p *pass) interrupted(dl replay.DeadLetter, detail string) {
	p.settle(Result{DeadLetter: dl, Outcome: Interrupted, Detail: detail})
}

// recordUpload is one mapped record of a retry on its way to CM.
type recordUpload struct {
	dl   replay.DeadLetter
	res  mapper.Result
	gone bool // the record no longer exists: res deletes its comment
}

// retryRecords re-reads the records of record dead letters, one
// Collections retrieve per object (split in 2,000s by the client), maps
// them and uploads the comments in batches.
func (p *pass) retryRecords(ctx context.Context, dls []replay.DeadLetter) error {
	byObject := map[string][]replay.DeadLetter{}
	for _, dl := range dls {
		byObject[dl.Object] = append(byObject[dl.Object], dl)
	}
	var uploads []recordUpload
	for _, object := range slices.Sorted(maps.Keys(byObject)) {
		group := byObject[object]
		got, err := p.fetchRecords(ctx, object, group)
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("interrupted while fetching %s records; the dead letters not yet settled are kept unchanged: %w", object, err)
		}
		if err != nil {
			for _, dl := range group {
				if err := p.failed(ctx, dl, err.Error()); err != nil {
					return err
				}
			}
			continue
		}
		for _, dl := range group {
			rec, exists := got[dl.RecordID]
			res, err := p.opts.Mapper.Map(mapper.Record{Object: object, ID: dl.RecordID, Fields: rec, Deleted: !exists})
			switch {
			case err != nil:
				if err := p.failed(ctx, dl, "map the record: "+err.Error()); err != nil {
					return err
				}
			case res.Kind == mapper.ResultKeep:
				what := fmt.Sprintf("record %s no longer exists in Salesforce; on_delete is keep, so its comment %s stays in CM; dropped",
					dl.RecordID, res.CommentID)
				if err := p.succeeded(ctx, dl, what); err != nil {
					return err
				}
			default:
				uploads = append(uploads, recordUpload{dl: dl, res: res, gone: !exists})
			}
		}
	}
	return p.upload(ctx, uploads)
}

// fetchRecords retrieves the records of group by ID; absent ones no
// longer exist (or are not readable by the integration user).
func (p *pass) fetchRecords(ctx context.Context, object string, group []replay.DeadLetter) (map[string]salesforce.Record, error) {
	fields, err := p.opts.Mapper.FetchFields(object)
	if err != nil {
		return nil, fmt.Errorf("object %s is not in the configuration's objects: add it to objects: in %s, or purge the dead letter", object, p.cfg.ConfigFile)
	}
	var ids []string
	for _, dl := range group {
		ids = append(ids, dl.RecordID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	recs, err := p.opts.Records.Retrieve(ctx, object, ids, fields)
	if err != nil {
		return nil, fmt.Errorf("fetch the records over REST: %w", err)
	}
	out := make(map[string]salesforce.Record, len(recs))
	for i, rec := range recs {
		if rec != nil && i < len(ids) {
			out[ids[i]] = rec
		}
	}
	return out, nil
}

// upload sends the mapped records through one uploader, configured like
// the pipeline's (the org's content hashes too), and settles each dead
// letter by its outcome.
func (p *pass) upload(ctx context.Context, uploads []recordUpload) error {
	if len(uploads) == 0 {
		return nil
	}
	var mu sync.Mutex
	outcomes := map[string]uploader.Outcome[string]{}
	up, err := uploader.New(p.opts.Upload, uploader.Options[string]{
		Hashes: replay.OrgHashes{Store: p.opts.Store, Org: p.cfg.Org},
		Report: func(o uploader.Outcome[string]) {
			mu.Lock()
			outcomes[o.Token] = o
			mu.Unlock()
		},
		Logger: p.log,
	})
	if err != nil {
		return fmt.Errorf("start the uploader of a retry: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- up.Run(runCtx) }()
	var submitErr error
	for _, u := range uploads {
		if submitErr = up.Submit(ctx, uploader.Item[string]{Result: u.res, Token: u.dl.ID}); submitErr != nil {
			break // the uploader stopped (a fatal CM answer) or ctx ended
		}
	}
	flushErr := up.Flush(ctx)
	stop()
	runErr := <-done
	mu.Lock()
	defer mu.Unlock()
	for _, u := range uploads {
		o, reported := outcomes[u.dl.ID]
		if reported && o.Delivered() {
			if err := p.succeeded(ctx, u.dl, uploadedWhat(u, o)); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			p.interrupted(u.dl, "interrupted before CM confirmed it")
			continue
		}
		var cause error
		switch {
		case reported && o.Err != nil:
			cause = o.Err
		case runErr != nil:
			cause = runErr
		default:
			cause = firstErr(submitErr, flushErr, uploader.ErrStopped)
		}
		if errors.Is(cause, uploader.ErrStopped) && runErr != nil {
			cause = runErr // the fatal answer explains the stop better
		}
		if err := p.failed(ctx, u.dl, cause.Error()); err != nil {
			return err
		}
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func uploadedWhat(u recordUpload, o uploader.Outcome[string]) string {
	if u.gone {
		return fmt.Sprintf("record %s no longer exists in Salesforce: deleted its comment %s in CM (on_delete is delete)",
			u.dl.RecordID, u.res.CommentID)
	}
	return fmt.Sprintf("record %s re-read and its comment %s is in CM (%s)", u.dl.RecordID, u.res.CommentID, o.Action)
}

// retryEvents re-reads, for each event dead letter (no record ID: its
// payload could not be decoded or its records fetched), the records of
// its objects changed within WindowHalf of its commit time. The stream
// cannot serve one event by replay ID, and Salesforce keeps no way to look
// an event up; a REST window over SystemModstamp re-delivers every change
// it could have carried.
func (p *pass) retryEvents(ctx context.Context, dls []replay.DeadLetter) error {
	for _, dl := range dls {
		objects := p.eventObjects(dl)
		if len(objects) == 0 {
			cause := fmt.Sprintf("neither topic %q nor object %q is in the configuration's objects: add it to objects: in %s, or purge the dead letter",
				dl.Topic, dl.Object, p.cfg.ConfigFile)
			if err := p.failed(ctx, dl, cause); err != nil {
				return err
			}
			continue
		}
		if dl.EventTime.IsZero() {
			since := dl.At.Add(-time.Hour).UTC().Format(time.RFC3339)
			why := fmt.Sprintf("no event time was recorded, so there is no window to re-read; run "+
				"`sfcdc backfill --config %s --object %s --since T` with T before the change (it was dead-lettered at %s; e.g. --since %s), "+
				"then `sfcdc deadletters purge --id %s`",
				p.cfg.ConfigFile, strings.Join(objects, ","), dl.At.UTC().Format(time.RFC3339), since, dl.ID)
			if err := p.skipped(ctx, dl, why); err != nil {
				return err
			}
			continue
		}
		req := backfill.Request{Objects: objects, Since: dl.EventTime.Add(-WindowHalf), Until: dl.EventTime.Add(WindowHalf)}
		sum, err := p.opts.Backfill.Run(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted during its backfill window; the dead letter is kept: %w", dl.ID, err)
			}
			if err := p.failed(ctx, dl, "backfill window: "+err.Error()); err != nil {
				return err
			}
			continue
		}
		c := sum.Counts
		what := fmt.Sprintf("re-read %s changed %s..%s over REST: %d created, %d updated, %d unchanged, %d deleted, %d dead-lettered",
			strings.Join(objects, ","), req.Since.UTC().Format(time.RFC3339), req.Until.UTC().Format(time.RFC3339),
			c.Created, c.TextUpdated+c.MetadataUpdated, c.Unchanged, c.Deleted, c.DeadLettered)
		if err := p.succeeded(ctx, dl, what); err != nil {
			return err
		}
	}
	return nil
}

// eventObjects are the configured objects an event dead letter concerns:
// its object, or those streamed on its topic.
func (p *pass) eventObjects(dl replay.DeadLetter) []string {
	var out []string
	for _, om := range p.opts.Mapper.Objects() {
		if (dl.Object != "" && om.Object == dl.Object) || (dl.Object == "" && dl.Topic != "" && om.Topic == dl.Topic) {
			out = append(out, om.Object)
		}
	}
	return out
}
