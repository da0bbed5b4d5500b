package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
)

// pauseAtBudget handles a load (what: "initial load", "recovery") that
// stopped at the org's API budget: the topic shows state paused, with
// when the load resumes, and waits until then; the daemon and the other
// topics go on. It reports whether the caller should run the load again,
// which it does from the saved watermark. Any other error, or ctx ending,
// reports false.
func (d *Daemon) pauseAtBudget(ctx context.Context, topic, what string, err error) bool {
	var budget *backfill.BudgetError
	if !errors.As(err, &budget) || ctx.Err() != nil {
		return false
	}
	resume := time.Now().Add(d.cfg.BudgetRetry)
	if !budget.ResumeAfter.IsZero() && budget.ResumeAfter.Before(resume) {
		resume = budget.ResumeAfter
	}
	ts := d.stats[topic]
	ts.setError(fmt.Errorf("%s of %s paused at the API budget, resumes at %s: %w",
		what, topic, resume.UTC().Format(time.RFC3339), budget))
	ts.setState(replay.StatePaused, d.cfg.Holder, "why", "the load stopped at the API budget; the other topics go on",
		"load", what, "resumes_at", resume.UTC().Format(time.RFC3339), "err", budget)
	if sleep(ctx, time.Until(resume)) != nil {
		return false
	}
	d.log.Info("load resumes after the API budget pause", "topic", topic, "load", what)
	return true
}

// loadDone logs what a topic's load (initial or recovery) did, and clears
// the REST and CM failures it got past.
func (d *Daemon) loadDone(ts *topicStats, msg string, sum backfill.Summary) {
	d.opts.Incidents.Cleared(FailureREST)
	d.opts.Incidents.Cleared(FailureCM)
	c := sum.Counts
	ts.note(msg, "records", c.Created+c.TextUpdated+c.MetadataUpdated+c.Unchanged+c.Deleted+c.Kept+c.DeadLettered,
		"new", c.Created, "updated", c.TextUpdated, "metadata_updated", c.MetadataUpdated, "unchanged", c.Unchanged,
		"deleted", c.Deleted, "dead_lettered", c.DeadLettered, "rest_calls", sum.RESTCalls,
		"elapsed", sum.Elapsed.Round(time.Millisecond))
}
