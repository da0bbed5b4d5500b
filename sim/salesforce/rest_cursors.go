package salesforce

import (
	"slices"
	"sync"
	"time"
)

// Query locator limits: a user has at most 10 open cursors (opening an
// eleventh releases the oldest) and an idle cursor expires after 15 minutes.
const (
	maxOpenCursors = 10
	cursorIdleTTL  = 15 * time.Minute
)

// queryCursor is an open query locator: the rows the query matched when it
// ran (a snapshot, as a locator is) and the batch size asked for.
type queryCursor struct {
	id       string
	query    *boundQuery
	rows     []Record
	batch    int
	lastUsed time.Time
}

// cursorStore holds the open query locators.
type cursorStore struct {
	clock Clock

	mu    sync.Mutex
	seq   uint64
	byID  map[string]*queryCursor
	order []string // oldest first
}

func newCursorStore(clock Clock) *cursorStore {
	return &cursorStore{clock: clock, byID: map[string]*queryCursor{}}
}

// open registers c and returns its locator ID (an 01g… ID, as Salesforce's).
func (s *cursorStore) open(c *queryCursor) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	c.id = newRecordID("01g", s.seq)
	c.lastUsed = s.clock.Now()
	s.byID[c.id] = c
	s.order = append(s.order, c.id)
	for len(s.order) > maxOpenCursors {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
	return c.id
}

// get returns an open, unexpired cursor and marks it used.
func (s *cursorStore) get(id string) (*queryCursor, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	now := s.clock.Now()
	if now.Sub(c.lastUsed) > cursorIdleTTL {
		s.closeLocked(id)
		return nil, false
	}
	c.lastUsed = now
	return c, true
}

func (s *cursorStore) close(id string) {
	s.mu.Lock()
	s.closeLocked(id)
	s.mu.Unlock()
}

func (s *cursorStore) closeLocked(id string) {
	delete(s.byID, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
}
