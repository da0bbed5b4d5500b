package salesforce

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bulk API 2.0 query job states (reference bulk-api-2 §1.2). Open is an
// ingest state only and never appears here.
const (
	bulkUploadComplete = "UploadComplete"
	bulkInProgress     = "InProgress"
	bulkJobComplete    = "JobComplete"
	bulkFailed         = "Failed"
	bulkAborted        = "Aborted"
)

// Documented Bulk API 2.0 query allocations (reference bulk-api-2 §2).
const (
	// DefaultBulkDailyJobs is the query jobs an org may create in a rolling
	// 24 hours.
	DefaultBulkDailyJobs = 10_000
	// DefaultBulkDailyResultKB is the query result volume (in KB) an org
	// may store in a rolling 24 hours: 1 TB.
	DefaultBulkDailyResultKB = 1_000_000_000
	// DefaultBulkRetention is how long a finished job and its results are
	// kept before Salesforce deletes them.
	DefaultBulkRetention = 7 * 24 * time.Hour
)

// bulkJob is one query job. The matching rows are taken when the job
// completes (a snapshot that shares the org's immutable field maps, so a
// job over 500,000 records holds 500,000 small Record values, not their
// text), and each results page is rendered from it on request.
type bulkJob struct {
	id        string
	operation string // query or queryAll
	query     *boundQuery
	version   string // v62.0: results must be fetched with the same version
	delimiter string // the columnDelimiter name, e.g. COMMA
	ending    string // LF or CRLF

	created time.Time
	started time.Time // UploadComplete until then
	done    time.Time // InProgress until then
	fail    bool      // ends Failed instead of JobComplete
	failMsg string    // its errorMessage ("" omits it, as real jobs may)

	mu          sync.Mutex
	state       string
	modstamp    time.Time
	rows        []Record // the snapshot, once JobComplete
	resultBytes int64
}

// terminal reports whether no further state change can happen.
func terminalBulkState(state string) bool {
	return state == bulkJobComplete || state == bulkFailed || state == bulkAborted
}

// bulkStore holds an org's query jobs and the rolling 24-hour allocations.
// Jobs advance lazily: every request that looks at a job first moves it to
// the state its clock says, so a settable clock drives the whole lifecycle
// and no goroutine runs per job. A completing job takes its snapshot at
// that first look, which is at most one poll after its nominal completion.
type bulkStore struct {
	org *Org
	cfg BulkConfig

	mu      sync.Mutex
	seq     uint64
	jobs    map[string]*bulkJob
	created []time.Time       // creation times within the last 24 hours
	stored  []bulkStoredBytes // result volumes within the last 24 hours
	failN   int               // the next failN jobs end Failed
	failMsg string
}

type bulkStoredBytes struct {
	at    time.Time
	bytes int64
}

func newBulkStore(org *Org, cfg BulkConfig) *bulkStore {
	return &bulkStore{org: org, cfg: cfg.withDefaults(), jobs: map[string]*bulkJob{}}
}

// bulkLimitError is a refused job creation: the allocation and its message.
type bulkLimitError struct{ message string }

func (e *bulkLimitError) Error() string { return e.message }

// create registers a job for a bound query, checking the daily allocations.
// The expected row count sets how long it will take.
func (s *bulkStore) create(q *boundQuery, operation, version, delimiter, ending string) (*bulkJob, error) {
	now := s.org.Clock().Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if len(s.created) >= s.cfg.DailyJobs {
		return nil, &bulkLimitError{message: "Max bulk v2 query jobs (" + strconv.Itoa(s.cfg.DailyJobs) + ") per 24 hrs has been reached"}
	}
	if s.storedKBLocked() >= s.cfg.DailyResultKB {
		return nil, &bulkLimitError{message: "Max bulk v2 query result size stored (" + strconv.FormatInt(s.cfg.DailyResultKB, 10) + ") kb per 24 hrs has been exceeded"}
	}
	n := len(s.org.runQuery(q, operation == "queryAll"))
	s.seq++
	j := &bulkJob{
		id: newRecordID("750", s.seq), operation: operation, query: q, version: version,
		delimiter: delimiter, ending: ending, created: now,
		state: bulkUploadComplete, modstamp: now,
	}
	j.started = now.Add(s.cfg.QueueTime)
	j.done = j.started.Add(s.cfg.BaseTime + time.Duration(n)*s.cfg.PerRecordTime)
	if s.failN > 0 {
		s.failN--
		j.fail, j.failMsg = true, s.failMsg
	}
	s.jobs[j.id] = j
	s.created = append(s.created, now)
	return j, nil
}

// get returns a job advanced to now, or false when it does not exist, was
// deleted, or its retention ran out.
func (s *bulkStore) get(id string) (*bulkJob, bool) {
	now := s.org.Clock().Now()
	s.mu.Lock()
	j, ok := s.jobs[id]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	if stored := s.advance(j, now); stored > 0 {
		s.mu.Lock()
		s.stored = append(s.stored, bulkStoredBytes{at: now, bytes: stored})
		s.mu.Unlock()
	}
	j.mu.Lock()
	expired := terminalBulkState(j.state) && now.Sub(j.modstamp) >= s.cfg.Retention
	j.mu.Unlock()
	if expired {
		s.remove(id)
		return nil, false
	}
	return j, true
}

// advance moves j to the state of time now and returns the bytes of a
// result it stored just now (0 otherwise).
func (s *bulkStore) advance(j *bulkJob, now time.Time) int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	if terminalBulkState(j.state) {
		return 0
	}
	switch {
	case now.Before(j.started):
		return 0
	case now.Before(j.done):
		if j.state != bulkInProgress {
			j.state, j.modstamp = bulkInProgress, j.started
		}
		return 0
	case j.fail:
		j.state, j.modstamp = bulkFailed, j.done
		return 0
	}
	j.rows = s.org.runQuery(j.query, j.operation == "queryAll")
	j.resultBytes = s.org.bulkResultSize(j)
	j.state, j.modstamp = bulkJobComplete, j.done
	return j.resultBytes
}

// abort moves a queued or running job to Aborted; it reports false when
// the job had already ended.
func (s *bulkStore) abort(j *bulkJob) bool {
	now := s.org.Clock().Now()
	j.mu.Lock()
	defer j.mu.Unlock()
	if terminalBulkState(j.state) {
		return false
	}
	j.state, j.modstamp = bulkAborted, now
	return true
}

// remove deletes a job and its results.
func (s *bulkStore) remove(id string) {
	s.mu.Lock()
	delete(s.jobs, id)
	s.mu.Unlock()
}

// expireAll drops every job, as seven days without a look at them would.
func (s *bulkStore) expireAll() {
	s.mu.Lock()
	clear(s.jobs)
	s.mu.Unlock()
}

// failNext makes the next n jobs end Failed with message (none when "").
func (s *bulkStore) failNext(n int, message string) {
	s.mu.Lock()
	s.failN, s.failMsg = max(n, 0), message
	s.mu.Unlock()
}

// list returns every job, advanced to now.
func (s *bulkStore) list() []*bulkJob {
	s.mu.Lock()
	ids := make([]string, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var out []*bulkJob
	for _, id := range ids {
		if j, ok := s.get(id); ok {
			out = append(out, j)
		}
	}
	return out
}

// usage returns the jobs created and the result KB stored in the last 24
// hours, for /limits.
func (s *bulkStore) usage() (jobs int, storedKB int64) {
	now := s.org.Clock().Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	return len(s.created), s.storedKBLocked()
}

func (s *bulkStore) pruneLocked(now time.Time) {
	cutoff := now.Add(-24 * time.Hour)
	i := 0
	for i < len(s.created) && !s.created[i].After(cutoff) {
		i++
	}
	s.created = s.created[i:]
	i = 0
	for i < len(s.stored) && !s.stored[i].at.After(cutoff) {
		i++
	}
	s.stored = s.stored[i:]
}

func (s *bulkStore) storedKBLocked() int64 {
	var total int64
	for _, b := range s.stored {
		total += b.bytes
	}
	return (total + 1023) / 1024
}

// snapshot returns the job's state, fields for its JSON and its rows.
func (j *bulkJob) snapshot() (state string, modstamp time.Time, rows []Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.modstamp, j.rows
}

// upperState is the state as the old JOB_NOT_COMPLETE message spells it
// (IN_PROGRESS).
func upperState(state string) string {
	var b strings.Builder
	for i, r := range state {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
