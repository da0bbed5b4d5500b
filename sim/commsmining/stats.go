package commsmining

// Stats counts what the simulator saw. Request counts include requests
// answered by a fault or an error.
type Stats struct {
	// Requests counts requests per endpoint.
	Requests map[Endpoint]int64
	// InFlight is the number of requests being handled now, and
	// PeakInFlight the most there ever were at once.
	InFlight, PeakInFlight int64
	// Unauthorized counts requests refused for a missing or wrong token.
	Unauthorized int64
	// Rejected counts requests refused as invalid (400, 413, 422).
	Rejected int64
	// FaultsServed counts requests that met an injected fault.
	FaultsServed int64
	// CommentsReceived counts comments in accepted sync requests.
	CommentsReceived int64
	// New, Updated and Unchanged add up the sync answers.
	New, Updated, Unchanged int64
	// Deleted counts comments removed.
	Deleted int64
	// BillableUnits is the meter: one unit per created comment and per
	// update whose message text changed.
	BillableUnits int64
}

func (st Stats) clone() Stats {
	out := st
	out.Requests = make(map[Endpoint]int64, len(st.Requests))
	for k, v := range st.Requests {
		out.Requests[k] = v
	}
	return out
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}

// ResetStats zeroes the counters and the receipt log (stored comments stay).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{Requests: map[Endpoint]int64{}, InFlight: s.stats.InFlight}
	s.receipts = nil
}

// Receipts returns the receive log (empty unless Options.RecordReceipts).
func (s *Server) Receipts() []Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Receipt(nil), s.receipts...)
}
