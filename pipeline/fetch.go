package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
)

// fetchRetry is how the record fetch retries a transient failure: from
// 200 ms growing by half each time to 30 s, with jitter, for as long as
// the run lasts (the events wait unfinished, so nothing is checkpointed
// past them). It grows more slowly than the other layers' waits because
// the stream's events queue behind a fetch: eight failures in a row
// cost about 10 to 15 s, not a minute.
var fetchRetry = retry.Policy{Initial: 200 * time.Millisecond, Max: 30 * time.Second, Multiplier: 1.5}

// fetchRequest asks for the current records of one event. The event holds
// a piece for it, which the batcher finishes once the records are mapped
// and submitted (or the event is dead-lettered). A request with carried
// records fetches nothing: it only keeps its records behind earlier fetches
// of the same IDs.
type fetchRequest struct {
	seq     replay.Seq
	object  string
	ids     []string
	carried []mapper.Record
}

// pendingFetches counts, per record ID, the requests queued to the fetch
// batcher and not yet submitted.
type pendingFetches struct {
	mu    sync.Mutex
	count map[string]int
}

func (p *pendingFetches) add(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count == nil {
		p.count = map[string]int{}
	}
	for _, id := range ids {
		p.count[id]++
	}
}

func (p *pendingFetches) done(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.count[id]--; p.count[id] <= 0 {
			delete(p.count, id)
		}
	}
}

func (p *pendingFetches) any(ids []string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.count[id] > 0 {
			return true
		}
	}
	return false
}

// fetchBatch collects requests per object until they are sent.
type fetchBatch struct {
	byObject map[string][]fetchRequest
	ids      int
}

// runFetches batches fetch requests: the first request of a batch waits up
// to FetchLinger for others, or the batch leaves once it holds FetchMaxIDs
// IDs, so a burst of UPDATE events costs one Collections call per object
// instead of one per event. It returns once the queue is closed and the
// last batch handled, or when ctx ends.
func (r *run) runFetches(ctx context.Context) {
	batch := fetchBatch{byObject: map[string][]fetchRequest{}}
	var linger <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case req, ok := <-r.fetches:
			if !ok {
				// A lost lease ends intake and ctx at once, in either order:
				// the keeper's error is set before either, so check it too.
				if ctx.Err() == nil && r.keeper.Err() == nil {
					r.fetchBatch(ctx, batch)
				}
				return
			}
			if batch.ids == 0 {
				linger = time.After(r.cfg.FetchLinger)
			}
			batch.byObject[req.object] = append(batch.byObject[req.object], req)
			batch.ids += len(req.ids)
			if batch.ids < r.cfg.FetchMaxIDs {
				continue
			}
		case <-linger:
		}
		r.fetchBatch(ctx, batch)
		batch, linger = fetchBatch{byObject: map[string][]fetchRequest{}}, nil
	}
}

// fetchBatch retrieves each object's records in one call and submits them,
// and the carried records, in the order their events arrived.
func (r *run) fetchBatch(ctx context.Context, batch fetchBatch) {
	for object, reqs := range batch.byObject {
		if ctx.Err() != nil || r.keeper.Err() != nil || r.fetchStopped.Load() {
			return // the events stay unfinished: not checkpointed
		}
		records, err := r.retrieve(ctx, object, reqs)
		if err != nil && ctx.Err() != nil {
			continue // on cancellation the events stay unfinished
		}
		if stopsTheRun(err) {
			// Every further call would be refused too. Fetch nothing more;
			// this event and every later one stay unfinished (not
			// checkpointed) and the run stops: at the API limit the daemon
			// pauses the topic and streams them again afterwards; without a
			// session the topic fails with the reason, as the subscriber
			// does.
			r.fetchStopped.Store(true)
			r.fail(fmt.Errorf("fetch %s records for %s: %w", object, r.cfg.Topic, err))
			return
		}
		for _, req := range reqs {
			switch {
			case req.carried != nil:
				for _, rec := range req.carried {
					r.submit(ctx, req.seq, rec)
				}
			case err != nil: // refused for good (salesforce.Fatal): the records cannot be mapped
				// One dead letter per record, so a retry can refetch each.
				for _, id := range req.ids {
					r.deadLetter(req.seq, replay.DeadLetter{Object: object, RecordID: id, Reason: reasonFetchFailed, Error: err.Error()})
				}
			default:
				for _, id := range req.ids {
					// A record missing now was deleted after the event; its
					// DELETE event follows on the stream and removes the comment.
					if rec, ok := records[id]; ok {
						r.submit(ctx, req.seq, mapper.Record{Object: object, ID: id, Fields: rec})
					} else {
						r.stats.goneBeforeFetch.Add(1)
					}
				}
			}
			r.fetching.done(req.ids)
			r.events.finish(req.seq)
		}
	}
}

// retrieve fetches the records of reqs by ID, retrying what
// salesforce.Classify calls transient (fetchRetry) until ctx ends. It
// returns the records that exist by the ID they were asked for, or the
// error of a limit or a refusal, which no retry soon can change.
func (r *run) retrieve(ctx context.Context, object string, reqs []fetchRequest) (map[string]salesforce.Record, error) {
	fields, err := r.opts.Mapper.FetchFields(object)
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, req := range reqs {
		if req.carried != nil {
			continue
		}
		for _, id := range req.ids {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil // only carried records
	}
	var records []salesforce.Record
	err = fetchRetry.Do(ctx, retry.Call{
		Retryable: func(err error) bool { return salesforce.Classify(err) == salesforce.Transient },
		OnRetry: func(f retry.Failure) {
			r.log.Warn("fetch records; retrying", "object", object, "attempt", f.Attempt, "wait", f.Wait, "err", f.Err)
			r.stats.setError(f.Err)
		},
	}, func(ctx context.Context) error {
		var err error
		records, err = r.read(ctx, object, ids, fields)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.stats.incidents.Cleared(FailureREST)
	out := make(map[string]salesforce.Record, len(records))
	for i, rec := range records {
		if rec != nil && i < len(ids) {
			out[ids[i]] = rec
		}
	}
	return out, nil
}

// stopsTheRun tells the fetch failures that concern every record, not the
// ones asked for: the org's API allocation is spent (salesforce.Classify's
// Limit), or no session can be had without a person (a refused grant or
// client, a token that cannot be renewed: salesforce.ErrCannotRefresh).
// Dead letters are for records; these stop the run instead.
func stopsTheRun(err error) bool {
	return salesforce.Classify(err) == salesforce.Limit || errors.Is(err, salesforce.ErrCannotRefresh)
}

// read uses one Collections retrieve, or SOQL when the mapping needs parent
// relationship fields and the source can query.
func (r *run) read(ctx context.Context, object string, ids, fields []string) ([]salesforce.Record, error) {
	var (
		records []salesforce.Record
		err     error
	)
	if q, ok := r.opts.Records.(RecordQuerier); ok && hasRelationshipField(fields) {
		r.stats.fetchCalls.Add(int64((len(ids) + queryChunkIDs - 1) / queryChunkIDs))
		records, err = queryRecords(ctx, q, object, ids, fields)
	} else {
		r.stats.fetchCalls.Add(1)
		records, err = r.opts.Records.Retrieve(ctx, object, ids, fields)
	}
	var n int64
	for _, rec := range records {
		if rec != nil {
			n++
		}
	}
	r.stats.recordsFetched.Add(n)
	return records, err
}
