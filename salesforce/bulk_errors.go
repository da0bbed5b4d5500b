package salesforce

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Bulk API 2.0 query errors a caller branches on (errors.Is).
var (
	// ErrBulkUnsupported: Bulk API 2.0 will not run this query (an object
	// or field type it does not serve, a construct it refuses, Bulk not
	// enabled for the org or user). Read the same records over REST.
	ErrBulkUnsupported = errors.New("query not supported by Bulk API 2.0")
	// ErrBulkLimitExceeded: the org's daily Bulk query jobs or result
	// volume are spent. Read over REST, or wait.
	ErrBulkLimitExceeded = errors.New("query allocation of Bulk API 2.0 exceeded")
	// ErrBulkJobFailed: the job ended Failed (see BulkJobError.Message).
	// Salesforce keeps no results; run it again smaller, or over REST.
	ErrBulkJobFailed = errors.New("bulk query job failed")
	// ErrBulkJobAborted: someone aborted the job.
	ErrBulkJobAborted = errors.New("bulk query job aborted")
	// ErrBulkJobGone: the job or its results no longer exist (deleted, or
	// expired seven days after the job ended). Create a new job.
	ErrBulkJobGone = errors.New("bulk query job or its results no longer exist")
	// ErrBulkJobNotComplete: results were asked for before JobComplete.
	ErrBulkJobNotComplete = errors.New("bulk query job not complete")
	// ErrBulkResultsIncomplete: a results page held fewer or more records
	// than its Sforce-NumberOfRecords header said (a cut connection, a
	// damaged answer). Fetching the same locator again is safe.
	ErrBulkResultsIncomplete = errors.New("bulk results page incomplete")
)

// BulkJobError is a job that ended Failed or Aborted.
type BulkJobError struct {
	JobID   string
	State   string // Failed or Aborted
	Message string // errorMessage; Salesforce often leaves it empty
}

func (e *BulkJobError) Error() string {
	msg := oneLine(e.Message)
	if msg == "" {
		msg = "Salesforce gave no reason"
	}
	return fmt.Sprintf("Bulk query job %s ended %s: %s", e.JobID, e.State, msg)
}

// Is matches ErrBulkJobFailed or ErrBulkJobAborted.
func (e *BulkJobError) Is(target error) bool {
	return (target == ErrBulkJobFailed && e.State == bulkFailed) ||
		(target == ErrBulkJobAborted && e.State == bulkAborted)
}

// classifyBulkCreate marks the refusals of job creation that mean "read
// this over REST instead" (reference §3 and §4: the codes and texts real
// connectors fall back on).
func classifyBulkCreate(err error) error {
	var api *APIError
	if !errors.As(err, &api) {
		return err
	}
	msg := strings.ToLower(api.Message)
	switch {
	case api.Code == "LIMIT_EXCEEDED" || api.Code == "ExceededQuota" || strings.Contains(msg, "max bulk v2"):
		return fmt.Errorf("%w: %w", ErrBulkLimitExceeded, err)
	case api.Code == "INVALIDENTITY" || api.Code == "FeatureNotEnabled" || api.Code == "API_DISABLED_FOR_ORG" ||
		strings.Contains(msg, "not supported") || strings.Contains(msg, "does not support") ||
		strings.Contains(msg, "compound data"):
		return fmt.Errorf("%w: %w", ErrBulkUnsupported, err)
	}
	return err
}

// classifyBulkJobCall marks a job or results call whose job is gone (404)
// or not complete yet (412 JOB_NOT_COMPLETE in older versions, 400 now).
func classifyBulkJobCall(err error) error {
	var api *APIError
	if !errors.As(err, &api) {
		return err
	}
	switch {
	case api.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", ErrBulkJobGone, err)
	case api.Code == "JOB_NOT_COMPLETE" || api.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", ErrBulkJobNotComplete, err)
	}
	return err
}
