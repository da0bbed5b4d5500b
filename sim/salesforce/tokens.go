package salesforce

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// Tokens is the org's session registry: the access tokens it issued, when,
// and whether they still hold. Salesforce tokens carry no expiry for the
// client; a client learns of expiry only by a rejected call.
type Tokens struct {
	clock Clock
	orgID string

	mu     sync.Mutex
	issued map[string]time.Time
	ttl    time.Duration // 0: tokens never expire
}

// NewTokens returns an empty registry for the org.
func NewTokens(clock Clock, orgID string) *Tokens {
	return &Tokens{clock: clock, orgID: orgID, issued: map[string]time.Time{}}
}

// Issue mints a token shaped like a Salesforce session ID: the 15-character
// org ID, "!", then an opaque part.
func (t *Tokens) Issue() string {
	buf := make([]byte, 48)
	_, _ = rand.Read(buf)
	tok := t.orgID[:15] + "!" + base64.RawURLEncoding.EncodeToString(buf)
	t.mu.Lock()
	t.issued[tok] = t.clock.Now()
	t.mu.Unlock()
	return tok
}

// Valid reports whether tok was issued here, is not revoked and is younger
// than the configured lifetime.
func (t *Tokens) Valid(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.issued[tok]
	if !ok {
		return false
	}
	return t.ttl <= 0 || t.clock.Now().Sub(at) < t.ttl
}

// SetLifetime makes every token (already issued or not) expire ttl after its
// issue time; 0 turns expiry off.
func (t *Tokens) SetLifetime(ttl time.Duration) {
	t.mu.Lock()
	t.ttl = ttl
	t.mu.Unlock()
}

// RevokeAll invalidates every issued token, as a session timeout would.
func (t *Tokens) RevokeAll() {
	t.mu.Lock()
	clear(t.issued)
	t.mu.Unlock()
}
