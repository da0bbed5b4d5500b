package salesforce

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultDailyAPILimit is the simulated org's 24-hour API request
// allocation (a Developer Edition org's).
const DefaultDailyAPILimit = 15_000

// apiBudget counts API requests over a rolling 24 hours, in hourly
// buckets, as the org's daily API request limit does.
type apiBudget struct {
	clock Clock

	mu      sync.Mutex
	limit   int
	buckets map[int64]int // hour since the epoch → requests
}

func newAPIBudget(clock Clock, limit int) *apiBudget {
	if limit <= 0 {
		limit = DefaultDailyAPILimit
	}
	return &apiBudget{clock: clock, limit: limit, buckets: map[int64]int{}}
}

// take counts one request unless the allocation is spent.
func (b *apiBudget) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	hour := b.hourLocked()
	if b.usedLocked(hour) >= b.limit {
		return false
	}
	b.buckets[hour]++
	return true
}

// usage returns the requests of the last 24 hours and the limit.
func (b *apiBudget) usage() (used, limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.usedLocked(b.hourLocked()), b.limit
}

func (b *apiBudget) setLimit(limit int) {
	b.mu.Lock()
	b.limit = limit
	b.mu.Unlock()
}

func (b *apiBudget) hourLocked() int64 { return b.clock.Now().Unix() / int64(time.Hour/time.Second) }

func (b *apiBudget) usedLocked(hour int64) int {
	used := 0
	for h, n := range b.buckets {
		if h <= hour-24 {
			delete(b.buckets, h)
			continue
		}
		used += n
	}
	return used
}

// limitInfo is the Sforce-Limit-Info header value.
func (b *apiBudget) limitInfo() string {
	used, limit := b.usage()
	return fmt.Sprintf("api-usage=%d/%d", used, limit)
}

// limitJSON is one entry of the /limits resource.
type limitJSON struct {
	Max       int64 `json:"Max"`
	Remaining int64 `json:"Remaining"`
}

// limits serves GET …/limits with the allocations the simulator counts:
// daily API requests, and Bulk API 2.0 query jobs and result storage
// (in MB, as DailyBulkV2QueryFileStorageMB reports it).
func (s *restService) limits(w http.ResponseWriter, _ *http.Request, _ string) {
	used, limit := s.budget.usage()
	jobs, storedKB := s.bulk.usage()
	maxMB := s.bulk.cfg.DailyResultKB / 1000
	writeJSON(w, http.StatusOK, map[string]limitJSON{
		"DailyApiRequests":              {Max: int64(limit), Remaining: int64(max(limit-used, 0))},
		"DailyBulkV2QueryJobs":          {Max: int64(s.bulk.cfg.DailyJobs), Remaining: int64(max(s.bulk.cfg.DailyJobs-jobs, 0))},
		"DailyBulkV2QueryFileStorageMB": {Max: maxMB, Remaining: max(maxMB-(storedKB+999)/1000, 0)},
	})
}
