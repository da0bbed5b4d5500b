package salesforce

import (
	"sync"
	"time"
)

// RESTFaults are the failures the simulated REST and OAuth endpoints can
// inject. Token expiry is not here: use Tokens.SetLifetime or RevokeAll.
// The zero value injects nothing; tests may change it at any time.
type RESTFaults struct {
	mu sync.Mutex
	f  RESTFaultSettings
}

// RESTFaultSettings is a snapshot of the injected REST failures.
type RESTFaultSettings struct {
	// ServerErrors makes the next N authenticated API calls fail with
	// ServerErrorStatus, then the fault disarms itself.
	ServerErrors int
	// ServerErrorStatus is the status of those failures (503 when 0).
	ServerErrorStatus int
	// TokenErrors makes the next N token requests fail with 503
	// temporarily_unavailable, then the fault disarms itself.
	TokenErrors int
	// Latency is added before every REST and OAuth response.
	Latency time.Duration
}

// Set replaces the settings.
func (f *RESTFaults) Set(s RESTFaultSettings) {
	f.mu.Lock()
	f.f = s
	f.mu.Unlock()
}

// Get returns the current settings.
func (f *RESTFaults) Get() RESTFaultSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f
}

// takeServerError reports whether this call must fail, and with which status.
func (f *RESTFaults) takeServerError() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f.ServerErrors <= 0 {
		return 0, false
	}
	f.f.ServerErrors--
	if f.f.ServerErrorStatus == 0 {
		return 503, true
	}
	return f.f.ServerErrorStatus, true
}

// takeTokenError reports whether this token request must fail.
func (f *RESTFaults) takeTokenError() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f.TokenErrors <= 0 {
		return false
	}
	f.f.TokenErrors--
	return true
}

func (f *RESTFaults) latency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Latency
}
