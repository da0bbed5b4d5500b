package backfill

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrBudgetReached: the org's daily API usage reached the configured
	// share of its allocation (or Salesforce refused a call with
	// REQUEST_LIMIT_EXCEEDED). The backfill stopped cleanly: everything
	// before the saved watermark is handled, and running again later
	// resumes there. A *BudgetError carries the figures.
	ErrBudgetReached = errors.New("API budget reached")
	// ErrUnknownObject: a requested object is not in the mapping.
	ErrUnknownObject = errors.New("object not in the configuration's objects")
	// ErrRequest: a Request's settings contradict each other; the message
	// names the `sfcdc backfill` flags.
	ErrRequest = errors.New("invalid backfill request")
)

// BudgetError says why and until when the backfill stopped for the API
// budget. It matches ErrBudgetReached.
type BudgetError struct {
	// Used and Limit are the org's daily API requests as Salesforce last
	// reported them (Sforce-Limit-Info).
	Used, Limit int
	// Percent is the configured budget.
	Percent int
	// ResumeAfter is when every request counted now has left Salesforce's
	// rolling 24-hour window; a run after it finds the budget free unless
	// other clients spent it. A run may succeed earlier, as soon as usage
	// falls below the budget.
	ResumeAfter time.Time
	// Refused is set when Salesforce itself refused a call
	// (REQUEST_LIMIT_EXCEEDED) before the budget was reached.
	Refused bool
}

func (e *BudgetError) Error() string {
	cause := fmt.Sprintf("the org has used %d of its %d daily API requests, the budget is %d%%", e.Used, e.Limit, e.Percent)
	if e.Refused {
		cause = fmt.Sprintf("Salesforce refused a call with REQUEST_LIMIT_EXCEEDED (%d of %d daily API requests used)", e.Used, e.Limit)
	}
	return fmt.Sprintf("%v: %s; progress is saved, run again after %s (or earlier, once usage is below the budget) to resume",
		ErrBudgetReached, cause, e.ResumeAfter.UTC().Format(time.RFC3339))
}

// Is matches ErrBudgetReached.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetReached }
