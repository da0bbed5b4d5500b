package salesforce

import (
	"crypto/rand"
	"encoding/base64"
	"maps"
	"sync"
	"time"
)

// authCodeTTL is how long an authorization code (and a pending approval)
// stays usable; Salesforce's codes are valid for 15 minutes.
const authCodeTTL = 15 * time.Minute

// authRequest is an approved or pending authorization: what the client
// asked for on the authorize endpoint.
type authRequest struct {
	clientID    string
	redirectURI string
	state       string
	scope       string
	challenge   string // S256 code_challenge, "" without PKCE
	expires     time.Time
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	clientID string
	scope    string
}

// grantStore keeps the OAuth state between requests: approvals waiting on
// the user, issued authorization codes (single use), refresh tokens, and
// counts of tokens issued per grant type.
type grantStore struct {
	clock Clock

	mu      sync.Mutex
	pending map[string]authRequest
	codes   map[string]authRequest
	refresh map[string]refreshGrant
	issued  map[string]int
}

func newGrantStore(clock Clock) *grantStore {
	return &grantStore{clock: clock, pending: map[string]authRequest{}, codes: map[string]authRequest{}, refresh: map[string]refreshGrant{}, issued: map[string]int{}}
}

func randomToken(prefix string, n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// pend stores a request awaiting the user's decision and returns its ID.
func (g *grantStore) pend(req authRequest) string {
	id := randomToken("", 18)
	g.mu.Lock()
	defer g.mu.Unlock()
	req.expires = g.clock.Now().Add(authCodeTTL)
	g.pending[id] = req
	return id
}

// takePending removes and returns a pending request that has not expired.
func (g *grantStore) takePending(id string) (authRequest, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, ok := g.pending[id]
	delete(g.pending, id)
	return req, ok && g.clock.Now().Before(req.expires)
}

// newCode issues an authorization code for an approved request.
func (g *grantStore) newCode(req authRequest) string {
	code := randomToken("aPrx", 30)
	g.mu.Lock()
	defer g.mu.Unlock()
	req.expires = g.clock.Now().Add(authCodeTTL)
	g.codes[code] = req
	return code
}

// takeCode redeems a code: a code works once, and only before it expires.
func (g *grantStore) takeCode(code string) (authRequest, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, ok := g.codes[code]
	delete(g.codes, code)
	return req, ok && g.clock.Now().Before(req.expires)
}

func (g *grantStore) newRefreshToken(clientID, scope string) string {
	tok := randomToken("5Aep861", 48)
	g.mu.Lock()
	g.refresh[tok] = refreshGrant{clientID: clientID, scope: scope}
	g.mu.Unlock()
	return tok
}

func (g *grantStore) refreshGrant(tok string) (refreshGrant, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rg, ok := g.refresh[tok]
	return rg, ok
}

// RevokeRefreshTokens invalidates every refresh token, as an admin
// revoking the app's OAuth tokens would.
func (s *RESTServer) RevokeRefreshTokens() {
	g := s.svc.grants
	g.mu.Lock()
	clear(g.refresh)
	g.mu.Unlock()
}

func (g *grantStore) count(grantType string) {
	g.mu.Lock()
	g.issued[grantType]++
	g.mu.Unlock()
}

func (g *grantStore) counts() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.issued)
}
