package salesforce

import (
	"sync"
	"time"
)

// Faults are the failures the simulated Pub/Sub service can inject. They are
// read on every response, so tests may change them while streams run. The zero
// value injects nothing.
type Faults struct {
	mu sync.Mutex
	f  FaultSettings
}

// FaultSettings is a snapshot of the injected failures.
type FaultSettings struct {
	// EndStreamAfterEvents ends every Subscribe stream with UNAVAILABLE after
	// it delivered this many events (0: never).
	EndStreamAfterEvents int
	// ResetAfterEvents closes the TCP connection under a stream after it
	// delivered this many events (0: never).
	ResetAfterEvents int
	// StallAfterEvents makes a stream go silent after this many events: no
	// more events and no keepalives, the stream stays open (0: never).
	StallAfterEvents int
	// Stall makes every stream silent from now on.
	Stall bool
	// Latency is added before each response of every stream.
	Latency time.Duration
	// Once: each stream-level fault above fires on one stream only, then
	// turns itself off.
	Once bool
}

// Set replaces the settings.
func (f *Faults) Set(s FaultSettings) {
	f.mu.Lock()
	f.f = s
	f.mu.Unlock()
}

// Get returns the current settings.
func (f *Faults) Get() FaultSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f
}

// fired records that a stream-level fault triggered; with Once it disarms the
// stream faults so the next stream runs clean.
func (f *Faults) fired() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f.Once {
		f.f.EndStreamAfterEvents, f.f.ResetAfterEvents, f.f.StallAfterEvents = 0, 0, 0
		f.f.Stall = false
	}
}
