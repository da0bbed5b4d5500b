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
	// QuotaRefused counts sync requests refused because the source's
	// quota was full (SetSourceQuota); they count in Rejected too.
	QuotaRefused int64
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
	// Sources are the same counts per source, by "project/source", for
	// every source that exists (many integrations write to one CM, each
	// to its own source).
	Sources map[string]SourceStats
}

// SourceStats counts what one source received: accepted sync requests,
// their comments and answers, deletes and the meter.
type SourceStats struct {
	SyncRequests     int64
	CommentsReceived int64
	New, Updated     int64
	Unchanged        int64
	Deleted          int64
	BillableUnits    int64
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
	out := s.stats.clone()
	out.Sources = make(map[string]SourceStats, len(s.sources))
	for key, src := range s.sources {
		out.Sources[key] = src.stats
	}
	return out
}

// SourceStats returns one source's counters; ok is false when the source
// does not exist.
func (s *Server) SourceStats(project, source string) (_ SourceStats, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[project+"/"+source]
	if !ok {
		return SourceStats{}, false
	}
	return src.stats, true
}

// ResetStats zeroes the counters and the receipt log (stored comments stay).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{Requests: map[Endpoint]int64{}, InFlight: s.stats.InFlight}
	for _, src := range s.sources {
		src.stats = SourceStats{}
	}
	s.receipts = nil
}

// Receipts returns the receive log (empty unless Options.RecordReceipts).
func (s *Server) Receipts() []Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Receipt(nil), s.receipts...)
}
