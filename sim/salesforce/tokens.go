package salesforce

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// Tokens is the org's session registry: the access tokens it issued, when,
// when each was last used, the OAuth grant (approval) it belongs to, and
// whether it still holds. Salesforce tokens carry no expiry for the client;
// a client learns of expiry only by a rejected call.
type Tokens struct {
	clock Clock
	orgID string

	mu     sync.Mutex
	issued map[string]session
	ttl    time.Duration // 0: no absolute lifetime
	idle   time.Duration // 0: no idle timeout
	// sweepAt is the registry size at which Issue drops dead sessions, so
	// a long run with short-lived tokens (a refresh every few seconds)
	// keeps a bounded registry.
	sweepAt int
}

// session is one issued access token.
type session struct {
	issued, used time.Time
	grant        uint64 // the refresh-token grant it came from; 0: none
}

// minSweep is the smallest registry Issue sweeps.
const minSweep = 1024

// NewTokens returns an empty registry for the org.
func NewTokens(clock Clock, orgID string) *Tokens {
	return &Tokens{clock: clock, orgID: orgID, issued: map[string]session{}, sweepAt: minSweep}
}

// Issue mints a token shaped like a Salesforce session ID: the 15-character
// org ID, "!", then an opaque part. It belongs to no grant.
func (t *Tokens) Issue() string { return t.issue(0) }

func (t *Tokens) issue(grant uint64) string {
	buf := make([]byte, 48)
	_, _ = rand.Read(buf)
	tok := t.orgID[:15] + "!" + base64.RawURLEncoding.EncodeToString(buf)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	if len(t.issued) >= t.sweepAt {
		for k, s := range t.issued {
			if !t.liveLocked(s, now) {
				delete(t.issued, k)
			}
		}
		t.sweepAt = max(minSweep, 2*len(t.issued))
	}
	t.issued[tok] = session{issued: now, used: now, grant: grant}
	return tok
}

// liveLocked: neither past its lifetime since issue nor idle too long.
func (t *Tokens) liveLocked(s session, now time.Time) bool {
	return (t.ttl <= 0 || now.Sub(s.issued) < t.ttl) && (t.idle <= 0 || now.Sub(s.used) < t.idle)
}

// Valid reports whether tok was issued here, is not revoked, is younger
// than the configured lifetime and was used within the idle timeout. It
// does not count as a use.
func (t *Tokens) Valid(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.issued[tok]
	return ok && t.liveLocked(s, t.clock.Now())
}

// Use is Valid for a call made with the token: a valid token's idle
// timeout starts again, as any call extends a Salesforce session.
func (t *Tokens) Use(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.issued[tok]
	now := t.clock.Now()
	if !ok || !t.liveLocked(s, now) {
		return false
	}
	s.used = now
	t.issued[tok] = s
	return true
}

// SetLifetime makes every token (already issued or not) expire ttl after its
// issue time; 0 turns expiry off.
func (t *Tokens) SetLifetime(ttl time.Duration) {
	t.mu.Lock()
	t.ttl = ttl
	t.mu.Unlock()
}

// SetIdleTimeout makes every token (already issued or not) expire when no
// call used it for d, Salesforce's session timeout (the connected app's
// Timeout Value, else the profile's, else the org's; 2 h by default on
// Salesforce, off here unless set); 0 turns it off.
func (t *Tokens) SetIdleTimeout(d time.Duration) {
	t.mu.Lock()
	t.idle = d
	t.mu.Unlock()
}

// RevokeAll invalidates every issued token, as a session timeout would.
func (t *Tokens) RevokeAll() {
	t.mu.Lock()
	clear(t.issued)
	t.mu.Unlock()
}

// revokeGrant invalidates every token of a grant.
func (t *Tokens) revokeGrant(grant uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, s := range t.issued {
		if s.grant == grant {
			delete(t.issued, k)
		}
	}
}

// revoke invalidates one token; false if it was not a live token.
func (t *Tokens) revoke(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.issued[tok]
	delete(t.issued, tok)
	return ok && t.liveLocked(s, t.clock.Now())
}
