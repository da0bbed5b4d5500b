package salesforce

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Bulk API 2.0 query job states (reference §1.2).
const (
	bulkUploadComplete = "UploadComplete"
	bulkInProgress     = "InProgress"
	bulkJobComplete    = "JobComplete"
	bulkFailed         = "Failed"
	bulkAborted        = "Aborted"
)

// Defaults of BulkQueryOptions.
const (
	DefaultBulkPollInitial  = 500 * time.Millisecond
	DefaultBulkPollMax      = 30 * time.Second
	DefaultBulkAbortTimeout = 10 * time.Second
)

// BulkQueryOptions tune a Bulk API 2.0 query job. The zero value is usable.
type BulkQueryOptions struct {
	// IncludeDeleted runs queryAll: deleted and merged rows, and archived
	// Tasks and Events, come too.
	IncludeDeleted bool
	// MaxRecords caps the records per results page (maxRecords); 0 lets
	// Salesforce choose.
	MaxRecords int
	// PollInitial and PollMax bound Wait's polling: the first wait, doubled
	// per poll up to PollMax (500 ms and 30 s when 0). A small job is done
	// in about a second, so the first polls come early; a long one costs
	// one poll per 30 s.
	PollInitial, PollMax time.Duration
	// Sleep waits between polls; nil uses a timer. Tests inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnPoll, when set, sees the job's info after every poll of Wait, on
	// Wait's goroutine: a progress display shows the state Salesforce
	// reports while it processes the query.
	OnPoll func(BulkJobInfo)
	// AbortTimeout bounds the best-effort abort when Wait's context ends
	// (10 s when 0).
	AbortTimeout time.Duration
	// MaxRecordBytes caps one CSV record (DefaultMaxBulkRecordBytes when 0).
	MaxRecordBytes int64
	// Describe types the result columns; nil asks Salesforce once per
	// object the columns reach (the object, and related objects).
	Describe func(ctx context.Context, object string) (ObjectDescription, error)
}

func (o BulkQueryOptions) withDefaults(c *Client) BulkQueryOptions {
	if o.PollInitial <= 0 {
		o.PollInitial = DefaultBulkPollInitial
	}
	if o.PollMax <= 0 {
		o.PollMax = DefaultBulkPollMax
	}
	o.PollMax = max(o.PollMax, o.PollInitial)
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.AbortTimeout <= 0 {
		o.AbortTimeout = DefaultBulkAbortTimeout
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxBulkRecordBytes
	}
	if o.Describe == nil {
		o.Describe = c.describeFields
	}
	return o
}

// BulkJobInfo is a query job as Salesforce reports it.
type BulkJobInfo struct {
	ID                     string `json:"id"`
	Operation              string `json:"operation"`
	Object                 string `json:"object"`
	State                  string `json:"state"`
	APIVersion             any    `json:"apiVersion"` // a number in the answer; see Version
	ColumnDelimiter        string `json:"columnDelimiter"`
	LineEnding             string `json:"lineEnding"`
	ErrorMessage           string `json:"errorMessage"`
	NumberRecordsProcessed int64  `json:"numberRecordsProcessed"`
	Retries                int    `json:"retries"`
	TotalProcessingTime    int64  `json:"totalProcessingTime"`
}

// Version is the job's API version as a path segment, e.g. "v62.0"; ""
// when the answer did not say.
func (i BulkJobInfo) Version() string {
	if i.APIVersion == nil {
		return ""
	}
	v := fmt.Sprint(i.APIVersion)
	if !apiVersionPattern.MatchString(v) {
		return ""
	}
	return "v" + v
}

// Terminal reports whether the job has ended (complete, failed, aborted).
func (i BulkJobInfo) Terminal() bool {
	return i.State == bulkJobComplete || i.State == bulkFailed || i.State == bulkAborted
}

// BulkJob is one Bulk API 2.0 query job: create it with Client.BulkQuery
// (or reopen it with Client.OpenBulkJob to resume), Wait for it, read its
// Results page by page, Delete it when its records are safe.
type BulkJob struct {
	c    *Client
	opts BulkQueryOptions

	mu   sync.Mutex
	info BulkJobInfo

	schemaMu sync.Mutex
	describe map[string]ObjectDescription
}

// jobIDPattern matches a job ID, so an ID never changes a resource path.
var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{15,18}$`)

// BulkQuery creates a query job (queryAll with opts.IncludeDeleted) for
// soql, with CSV, comma and LF line endings. A refusal that means "use
// REST" matches ErrBulkUnsupported or ErrBulkLimitExceeded.
func (c *Client) BulkQuery(ctx context.Context, soql string, opts BulkQueryOptions) (*BulkJob, error) {
	op := "query"
	if opts.IncludeDeleted {
		op = "queryAll"
	}
	body, err := jsonBody(map[string]string{
		"operation": op, "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF",
	})
	if err != nil {
		return nil, fmt.Errorf("create Bulk query job: %w", err)
	}
	var info BulkJobInfo
	req := request{method: http.MethodPost, path: c.dataPath("jobs/query"), body: body}
	if err := c.do(ctx, req, func(r io.Reader) error { return decodeJSON(r, &info) }); err != nil {
		return nil, fmt.Errorf("create Bulk query job: %w", classifyBulkCreate(err))
	}
	if !jobIDPattern.MatchString(info.ID) {
		return nil, fmt.Errorf("create Bulk query job: the answer has no valid job ID")
	}
	return &BulkJob{c: c, opts: opts.withDefaults(c), info: info}, nil
}

// OpenBulkJob reopens an existing job by ID, e.g. to go on reading its
// results from a stored locator after a restart.
func (c *Client) OpenBulkJob(ctx context.Context, id string, opts BulkQueryOptions) (*BulkJob, error) {
	if !jobIDPattern.MatchString(id) {
		return nil, fmt.Errorf("open Bulk query job: %q is not a job ID", id)
	}
	j := &BulkJob{c: c, opts: opts.withDefaults(c), info: BulkJobInfo{ID: id}}
	if _, err := j.Refresh(ctx); err != nil {
		return nil, err
	}
	return j, nil
}

// ID is the job's ID, to store for resuming.
func (j *BulkJob) ID() string { return j.info.ID }

// Info is the job as last reported.
func (j *BulkJob) Info() BulkJobInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.info
}

// jobPath is the job's resource under the version that created it (other
// versions are refused with 409 for results).
func (j *BulkJob) jobPath(suffix string) string {
	v := j.Info().Version()
	if v == "" {
		v = j.c.version
	}
	return "/services/data/" + v + "/jobs/query/" + j.info.ID + suffix
}

// Refresh asks Salesforce for the job's state.
func (j *BulkJob) Refresh(ctx context.Context) (BulkJobInfo, error) {
	var info BulkJobInfo
	req := request{method: http.MethodGet, path: j.jobPath("")}
	if err := j.c.do(ctx, req, func(r io.Reader) error { return decodeJSON(r, &info) }); err != nil {
		return BulkJobInfo{}, fmt.Errorf("read Bulk query job %s: %w", j.info.ID, classifyBulkJobCall(err))
	}
	if info.ID != j.info.ID {
		return BulkJobInfo{}, fmt.Errorf("read Bulk query job %s: the answer is about another job", j.info.ID)
	}
	j.mu.Lock()
	j.info = info
	j.mu.Unlock()
	return info, nil
}

// Wait polls the job until it is JobComplete, waiting PollInitial first
// and doubling up to PollMax. A Failed or Aborted job is a *BulkJobError.
// When ctx ends first, the job is aborted (best effort, within
// AbortTimeout) so it does not run on for nobody, and ctx's error returned.
// A failed poll is returned as is; calling Wait again goes on waiting.
func (j *BulkJob) Wait(ctx context.Context) (BulkJobInfo, error) {
	// Polling a job that runs is not retrying a failure (package retry):
	// an exact doubling schedule, without jitter, since one job's polls
	// need no spreading.
	bo := &backoff.ExponentialBackOff{
		InitialInterval: j.opts.PollInitial, RandomizationFactor: 0, Multiplier: 2, MaxInterval: j.opts.PollMax,
	}
	bo.Reset()
	for {
		info, err := j.Refresh(ctx)
		if ctx.Err() != nil {
			return j.abandon(ctx)
		}
		if err != nil {
			return BulkJobInfo{}, err
		}
		if j.opts.OnPoll != nil {
			j.opts.OnPoll(info)
		}
		switch info.State {
		case bulkJobComplete:
			return info, nil
		case bulkFailed, bulkAborted:
			return info, &BulkJobError{JobID: info.ID, State: info.State, Message: info.ErrorMessage}
		case bulkUploadComplete, bulkInProgress:
		default:
			return info, fmt.Errorf("wait for Bulk query job %s: unknown state %q", info.ID, info.State)
		}
		if err := j.opts.Sleep(ctx, bo.NextBackOff()); err != nil || ctx.Err() != nil {
			return j.abandon(ctx)
		}
	}
}

// abandon aborts the job after Wait's context ended, unless it is known
// to have ended already.
func (j *BulkJob) abandon(ctx context.Context) (BulkJobInfo, error) {
	cause := ctx.Err()
	if cause == nil {
		cause = context.Canceled
	}
	info := j.Info()
	if info.Terminal() {
		return info, fmt.Errorf("wait for Bulk query job %s: %w", info.ID, cause)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.opts.AbortTimeout)
	defer cancel()
	if err := j.Abort(actx); err != nil {
		j.c.log.Warn("could not abort an abandoned Bulk query job; it runs on until Salesforce ends it", "job", info.ID, "error", err)
		return info, fmt.Errorf("wait for Bulk query job %s: %w (aborting it failed: %v)", info.ID, cause, err)
	}
	return j.Info(), fmt.Errorf("wait for Bulk query job %s: %w (job aborted)", info.ID, cause)
}

// Abort stops a queued or running job (PATCH state Aborted).
func (j *BulkJob) Abort(ctx context.Context) error {
	body, _ := jsonBody(map[string]string{"state": bulkAborted})
	var info BulkJobInfo
	req := request{method: http.MethodPatch, path: j.jobPath(""), body: body}
	if err := j.c.do(ctx, req, func(r io.Reader) error { return decodeJSON(r, &info) }); err != nil {
		return fmt.Errorf("abort Bulk query job %s: %w", j.info.ID, classifyBulkJobCall(err))
	}
	if info.ID == j.info.ID {
		j.mu.Lock()
		j.info = info
		j.mu.Unlock()
	}
	return nil
}

// Delete removes an ended job and its results. Call it once the records
// are safely handed on: a deleted job cannot be resumed.
func (j *BulkJob) Delete(ctx context.Context) error {
	req := request{method: http.MethodDelete, path: j.jobPath("")}
	if err := j.c.do(ctx, req, func(io.Reader) error { return nil }); err != nil {
		return fmt.Errorf("delete Bulk query job %s: %w", j.info.ID, classifyBulkJobCall(err))
	}
	return nil
}

// describeFields is the default BulkQueryOptions.Describe: one describe
// call, without the change-event check Describe adds.
func (c *Client) describeFields(ctx context.Context, object string) (ObjectDescription, error) {
	if !apiNamePattern.MatchString(object) {
		return ObjectDescription{}, fmt.Errorf("describe: %q is not an object API name", object)
	}
	a, err := c.describe(ctx, object)
	if err != nil {
		return ObjectDescription{}, err
	}
	return ObjectDescription{Name: a.Name, Label: a.Label, Custom: a.Custom, Fields: a.Fields}, nil
}

// cachedDescribe describes each object once per job.
func (j *BulkJob) cachedDescribe(ctx context.Context, object string) (ObjectDescription, error) {
	j.schemaMu.Lock()
	defer j.schemaMu.Unlock()
	if d, ok := j.describe[object]; ok {
		return d, nil
	}
	d, err := j.opts.Describe(ctx, object)
	if err != nil {
		return ObjectDescription{}, err
	}
	if j.describe == nil {
		j.describe = map[string]ObjectDescription{}
	}
	j.describe[object] = d
	return d, nil
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
