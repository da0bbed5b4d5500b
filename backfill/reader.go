package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
)

// reader runs the backfill's SOQL: every call first checks the API budget,
// transient failures are retried, and REQUEST_LIMIT_EXCEEDED becomes a
// clean budget stop.
type reader struct {
	sf       *salesforce.Client
	pageSize int
	budget   budget
	retry    retrier
}

// count runs a SELECT COUNT() over queryAll (deleted rows count: they
// are handled too).
func (r *reader) count(ctx context.Context, soql string) (int, error) {
	page, err := r.call(ctx, "count", func(ctx context.Context) (salesforce.QueryPage, error) {
		return r.sf.FirstPage(ctx, soql, salesforce.QueryOptions{IncludeDeleted: true})
	})
	return page.TotalSize, err
}

// pages runs soql over queryAll and hands each page to handle in order,
// following nextRecordsUrl. It stops at the first error, from either side.
func (r *reader) pages(ctx context.Context, soql string, handle func(salesforce.QueryPage) error) error {
	opts := salesforce.QueryOptions{BatchSize: r.pageSize, IncludeDeleted: true}
	page, err := r.call(ctx, "query", func(ctx context.Context) (salesforce.QueryPage, error) {
		return r.sf.FirstPage(ctx, soql, opts)
	})
	for {
		if err != nil {
			return err
		}
		if err := handle(page); err != nil {
			return err
		}
		if page.Done {
			return nil
		}
		prev := page
		page, err = r.call(ctx, "query next page", func(ctx context.Context) (salesforce.QueryPage, error) {
			return r.sf.NextPage(ctx, prev, opts)
		})
	}
}

// serverNow reads Salesforce's current time (a call that does not count
// against the API allocation), with retries.
func (r *reader) serverNow(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := r.retry.do(ctx, "read Salesforce's clock", transientSalesforce, func(ctx context.Context) error {
		var err error
		now, err = r.sf.AskServerTime(ctx)
		return err
	})
	return now, err
}

// do checks the budget, then runs one call of the Bulk API with retries.
func (r *reader) do(ctx context.Context, what string, fn func(context.Context) error) error {
	if err := r.budget.check(); err != nil {
		return err
	}
	if err := r.retry.do(ctx, what, transientSalesforce, fn); err != nil {
		return r.budget.refused(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

// call checks the budget, then runs one REST call with retries.
func (r *reader) call(ctx context.Context, what string, fn func(context.Context) (salesforce.QueryPage, error)) (salesforce.QueryPage, error) {
	if err := r.budget.check(); err != nil {
		return salesforce.QueryPage{}, err
	}
	var page salesforce.QueryPage
	err := r.retry.do(ctx, what, transientSalesforce, func(ctx context.Context) error {
		var err error
		page, err = fn(ctx)
		return err
	})
	if err != nil {
		return salesforce.QueryPage{}, r.budget.refused(fmt.Errorf("%s: %w", what, err))
	}
	return page, nil
}
