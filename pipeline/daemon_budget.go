package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// pauseAtBudget handles a load (what: "initial load", "recovery") that
// stopped at the org's API budget, and a load or the stream's record fetch
// ("record fetch") that met Salesforce's API request limit
// (REQUEST_LIMIT_EXCEEDED, salesforce.Classify's Limit): the topic shows
// state paused, with the limit and when the work resumes, and waits until
// then; the daemon and the other topics go on. It reports whether the
// caller should run the work again, which it does from the saved watermark
// or checkpoint, so nothing is lost. Any other error, or ctx ending,
// reports false.
func (d *Daemon) pauseAtBudget(ctx context.Context, topic, what string, err error) bool {
	if !atAPILimit(err) || ctx.Err() != nil {
		return false
	}
	var budget *backfill.BudgetError
	isBudget := errors.As(err, &budget)
	resume := time.Now().Add(d.cfg.BudgetRetry)
	limit := "Salesforce's API request limit (REQUEST_LIMIT_EXCEEDED)"
	if isBudget {
		if !budget.ResumeAfter.IsZero() && budget.ResumeAfter.Before(resume) {
			resume = budget.ResumeAfter
		}
		err = budget
		if !budget.Refused {
			limit = "the API budget"
		}
	}
	at := resume.UTC().Format(time.RFC3339)
	ts := d.stats[topic]
	ts.setError(fmt.Errorf("%s of %s paused at %s, resumes at %s: %w", what, topic, limit, at, err))
	ts.setState(replay.StatePaused, d.cfg.Holder, "why", fmt.Sprintf("the %s stopped at %s; the other topics go on", what, limit),
		"load", what, "resumes_at", at, "err", err)
	if sleep(ctx, time.Until(resume)) != nil {
		return false
	}
	d.log.Info("work resumes after the pause at the API limit", "topic", topic, "work", what)
	return true
}

// atAPILimit reports a stop at the org's API allocation: a load at its
// budget or refused with REQUEST_LIMIT_EXCEEDED (*backfill.BudgetError),
// or a call refused so (salesforce.Classify's Limit). Retrying soon only
// spends more of the allocation; the topic pauses instead.
func atAPILimit(err error) bool {
	var budget *backfill.BudgetError
	return errors.As(err, &budget) || salesforce.Classify(err) == salesforce.Limit
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
