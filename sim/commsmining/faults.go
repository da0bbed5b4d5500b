package commsmining

import (
	"time"
)

// Endpoint names a group of routes, for faults and request counts.
type Endpoint string

const (
	// AnyEndpoint matches every endpoint (faults only).
	AnyEndpoint Endpoint = ""
	// EndpointSync is POST …/sync.
	EndpointSync Endpoint = "sync"
	// EndpointDelete is DELETE …/comments?id=….
	EndpointDelete Endpoint = "delete"
	// EndpointGetComment is GET …/comments/<id>.
	EndpointGetComment Endpoint = "get-comment"
	// EndpointListComments is GET /api/_private/…/comments.
	EndpointListComments Endpoint = "list-comments"
	// EndpointSources covers the source routes.
	EndpointSources Endpoint = "sources"
)

// Fault is one injected misbehaviour, applied to the next Times requests
// of its endpoint. Faults are consumed in the order they were injected.
type Fault struct {
	// Endpoint selects the requests; AnyEndpoint matches all.
	Endpoint Endpoint
	// Status, when non-zero, answers with this status and CM's error
	// envelope instead of handling the request (e.g. 429, 503, 401).
	Status int
	// RetryAfter, when set with Status, is sent as the Retry-After header
	// (seconds or an HTTP date).
	RetryAfter string
	// Message is the error message; zero: the status text.
	Message string
	// Delay holds the answer back this long (a slow server).
	Delay time.Duration
	// AcceptThenTimeout handles the request (the comments are stored and
	// billed) and then never answers: the connection stays silent until the
	// client gives up, and is then closed. It tests that a retry after a
	// timeout is harmless.
	AcceptThenTimeout bool
	// Times is how many requests the fault applies to; zero means one.
	Times int
}

// InjectFault queues a fault.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first queued fault for ep and uses up one of its
// times.
func (s *Server) takeFault(ep Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.Endpoint != AnyEndpoint && f.Endpoint != ep {
			continue
		}
		taken := *f
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		s.stats.FaultsServed++
		return taken, true
	}
	return Fault{}, false
}
