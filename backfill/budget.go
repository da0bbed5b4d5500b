package backfill

import (
	"errors"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
)

// rollingWindow is the span of Salesforce's daily API allocation.
const rollingWindow = 24 * time.Hour

// budget decides, before each REST call, whether the org's API usage
// leaves room for it.
type budget struct {
	percent int
	usage   func() salesforce.APIUsage
	now     func() time.Time
	// reportsBefore is how many answers had reported the usage when the
	// run began: those figures may be stale (the allocation may have
	// grown, the window moved on), so the calls of a run go out until one
	// of its own answers reports the current figures.
	reportsBefore int64
}

// check returns a *BudgetError once the usage reported during this run
// reached the budget.
func (b budget) check() error {
	u := b.usage()
	if u.Reports <= b.reportsBefore || !u.Known || u.Limit <= 0 || u.Used*100 < u.Limit*b.percent {
		return nil
	}
	return b.stop(u, false)
}

// refused turns a failure salesforce.Classify calls a Limit — the org's
// API allocation is spent (REQUEST_LIMIT_EXCEEDED) — into a *BudgetError,
// and passes any other error through. The Bulk query allocation, also a
// limit, is passed through: the Bulk read answers it by reading over REST,
// whose own allocation may have room.
func (b budget) refused(err error) error {
	if salesforce.Classify(err) != salesforce.Limit || errors.Is(err, salesforce.ErrBulkLimitExceeded) {
		return err
	}
	u := b.usage()
	if !u.Known {
		u.Used, u.Limit = 0, 0
	}
	return b.stop(u, true)
}

func (b budget) stop(u salesforce.APIUsage, refused bool) *BudgetError {
	return &BudgetError{Used: u.Used, Limit: u.Limit, Percent: b.percent, Refused: refused,
		ResumeAfter: b.now().Add(rollingWindow).Truncate(time.Minute).Add(time.Minute)}
}
