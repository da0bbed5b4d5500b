package salesforce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// authCodeTTL is how long an authorization code (and a pending approval)
// stays usable; Salesforce's codes are valid for 15 minutes.
const authCodeTTL = 15 * time.Minute

// MaxApprovals is how many approvals (refresh tokens) one user may hold for
// one connected app: a new one beyond it revokes the oldest, with its
// access tokens (hosted-oauth.md §2).
const MaxApprovals = 5

// authRequest is an approved or pending authorization: what the client
// asked for on the authorize endpoint, and (once approved) who approved.
type authRequest struct {
	clientID    string
	redirectURI string
	state       string
	scope       string
	challenge   string // S256 code_challenge, "" without PKCE
	username    string // the login form's username (pending: its default)
	user        *restService
	expires     time.Time
}

// grant is one approval holding a refresh token: one user's (of org), for
// one connected app. Its refresh token is the grant's ID and generation under
// the store's MAC key, so every rotated-out token is recognised without
// being stored.
type grant struct {
	id         uint64
	clientID   string
	username   string
	scope      string
	org        *restService // the user's org, where its access tokens live
	gen        uint64       // the current refresh token's generation
	refreshing bool         // a refresh of the current token is in flight
	approved   time.Time    // by the store's clock
	used       time.Time    // the last refresh (or the approval)
}

// RefreshTokenPolicy is a connected app's refresh token policy (its OAuth
// policies in Setup, hosted-oauth.md §1). The zero value is "valid until
// revoked".
type RefreshTokenPolicy struct {
	// ExpireAfter is "Expire refresh token after": a grant ends this long
	// after its approval, however much it is used; 0: never.
	ExpireAfter time.Duration
	// ExpireIfNotUsedFor is "Expire refresh token if not used for" (the
	// 30-day idle TTL): a grant not refreshed for this long ends; each
	// refresh starts it again; 0: never.
	ExpireIfNotUsedFor time.Duration
}

// expired says whether the policy has ended a grant by now.
func (p RefreshTokenPolicy) expired(gr *grant, now time.Time) bool {
	return (p.ExpireAfter > 0 && !now.Before(gr.approved.Add(p.ExpireAfter))) ||
		(p.ExpireIfNotUsedFor > 0 && !now.Before(gr.used.Add(p.ExpireIfNotUsedFor)))
}

type approvalKey struct{ clientID, username string }

// grantStore is the login service's OAuth state: approvals waiting on the
// user, issued authorization codes (single use), grants and their refresh
// tokens, and per-app counts. One org alone has its own; the orgs of a
// World share one, as Salesforce's login service is one for all orgs.
type grantStore struct {
	clock Clock
	key   []byte // MACs refresh tokens
	// users are the usernames the login form knows (lower case), each in
	// its org; written only before the first request.
	users map[string]*restService

	mu      sync.Mutex
	pending map[string]authRequest
	codes   map[string]authRequest
	grants  map[uint64]*grant
	byUser  map[approvalKey][]uint64 // oldest first
	lastID  uint64
	counts  map[string]*OAuthCounts // by client ID
}

// OAuthCounts are what a connected app's OAuth endpoints did, for tests.
type OAuthCounts struct {
	// Refreshes are refresh requests answered with a new access token.
	Refreshes int
	// Rotations are those answered with a new refresh token too.
	Rotations int
	// InFlightRefusals are refreshes refused because one with the same
	// token was in flight ("token request is already being processed").
	InFlightRefusals int
	// GrantsIssued are approvals that got a refresh token.
	GrantsIssued int
	// GrantsRevoked are grants ended for any reason: the three below and
	// an administrator's RevokeRefreshTokens.
	GrantsRevoked int
	// ReplayRevocations are grants revoked because a rotated-out refresh
	// token was presented.
	ReplayRevocations int
	// Evictions are grants revoked by a user's approval beyond MaxApprovals.
	Evictions int
	// Expirations are grants ended by the app's RefreshTokenPolicy,
	// found when their refresh token was presented (not in GrantsRevoked:
	// their access tokens live on until their own timeout).
	Expirations int
	// RevokeRequests are grants revoked through /services/oauth2/revoke.
	RevokeRequests int
	// InFlight are the refreshes in flight now (a gauge, not a count).
	InFlight int
}

func (c *OAuthCounts) add(o OAuthCounts) {
	c.Refreshes += o.Refreshes
	c.Rotations += o.Rotations
	c.InFlightRefusals += o.InFlightRefusals
	c.GrantsIssued += o.GrantsIssued
	c.GrantsRevoked += o.GrantsRevoked
	c.ReplayRevocations += o.ReplayRevocations
	c.Evictions += o.Evictions
	c.Expirations += o.Expirations
	c.RevokeRequests += o.RevokeRequests
	c.InFlight += o.InFlight
}

func newGrantStore(clock Clock) *grantStore {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &grantStore{
		clock: clock, key: key, users: map[string]*restService{},
		pending: map[string]authRequest{}, codes: map[string]authRequest{},
		grants: map[uint64]*grant{}, byUser: map[approvalKey][]uint64{}, counts: map[string]*OAuthCounts{},
	}
}

func randomToken(prefix string, n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// addUser makes the login form know the org's user.
func (g *grantStore) addUser(username string, org *restService) {
	g.users[strings.ToLower(username)] = org
}

// countsLocked is the client's counts, created at first use.
func (g *grantStore) countsLocked(clientID string) *OAuthCounts {
	c, ok := g.counts[clientID]
	if !ok {
		c = &OAuthCounts{}
		g.counts[clientID] = c
	}
	return c
}

// oauthCounts returns the counts of one client ID, or of all when "".
func (g *grantStore) oauthCounts(clientID string) OAuthCounts {
	g.mu.Lock()
	defer g.mu.Unlock()
	if clientID != "" {
		return *g.countsLocked(clientID)
	}
	var sum OAuthCounts
	for _, c := range g.counts {
		sum.add(*c)
	}
	return sum
}

// pend stores a request awaiting the user's decision and returns its ID.
func (g *grantStore) pend(req authRequest) string {
	id := randomToken("", 18)
	g.mu.Lock()
	defer g.mu.Unlock()
	req.expires = g.clock.Now().Add(authCodeTTL)
	sweepExpired(g.pending, g.clock.Now())
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
	sweepExpired(g.codes, g.clock.Now())
	g.codes[code] = req
	return code
}

// maxUnanswered is how many pending requests (or unredeemed codes) are
// kept before expired ones are dropped: logins nobody finishes must not
// grow a long run's memory.
const maxUnanswered = 1024

// sweepExpired drops expired requests once there are many.
func sweepExpired(m map[string]authRequest, now time.Time) {
	if len(m) < maxUnanswered {
		return
	}
	for k, req := range m {
		if !now.Before(req.expires) {
			delete(m, k)
		}
	}
}

// takeCode redeems a code: a code works once, and only before it expires.
func (g *grantStore) takeCode(code string) (authRequest, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, ok := g.codes[code]
	delete(g.codes, code)
	return req, ok && g.clock.Now().Before(req.expires)
}

// newGrant records an approval with a refresh token and mints its first
// access token in the user's org; the user's approval beyond MaxApprovals
// for the app revokes their oldest. Grants the app's policy has ended
// hold no approval.
func (g *grantStore) newGrant(clientID, username, scope string, org *restService, policy RefreshTokenPolicy) (gr *grant, accessToken string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lastID++
	now := g.clock.Now()
	for _, id := range slices.Clone(g.byUser[approvalKey{clientID, strings.ToLower(username)}]) {
		if old := g.grants[id]; policy.expired(old, now) {
			g.forgetLocked(old)
			g.countsLocked(clientID).Expirations++
		}
	}
	gr = &grant{id: g.lastID, clientID: clientID, username: strings.ToLower(username), scope: scope, org: org, approved: now, used: now}
	g.grants[gr.id] = gr
	key := approvalKey{clientID, gr.username}
	g.byUser[key] = append(g.byUser[key], gr.id)
	c := g.countsLocked(clientID)
	c.GrantsIssued++
	for len(g.byUser[key]) > MaxApprovals {
		g.revokeLocked(g.grants[g.byUser[key][0]])
		c.Evictions++
	}
	return gr, org.tokens.issue(gr.id)
}

// revokeLocked ends a grant: its refresh tokens and access tokens die.
func (g *grantStore) revokeLocked(gr *grant) {
	g.forgetLocked(gr)
	gr.org.tokens.revokeGrant(gr.id)
	g.countsLocked(gr.clientID).GrantsRevoked++
}

// forgetLocked ends a grant's refresh tokens and frees its approval.
func (g *grantStore) forgetLocked(gr *grant) {
	delete(g.grants, gr.id)
	key := approvalKey{gr.clientID, gr.username}
	g.byUser[key] = slices.DeleteFunc(g.byUser[key], func(id uint64) bool { return id == gr.id })
	if len(g.byUser[key]) == 0 {
		delete(g.byUser, key)
	}
}

// revokeApp ends every grant of a connected app.
func (g *grantStore) revokeApp(clientID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(g.grants)) {
		if gr := g.grants[id]; gr.clientID == clientID {
			g.revokeLocked(gr)
		}
	}
}

// refreshTokenPrefix starts every refresh token, as Salesforce's do.
const refreshTokenPrefix = "5Aep861"

// refreshTokenMAC is how many bytes of HMAC-SHA256 a refresh token carries.
const refreshTokenMAC = 24

// refreshToken is the token of a grant's generation.
func (g *grantStore) refreshToken(id, gen uint64) string {
	buf := make([]byte, 16, 16+refreshTokenMAC)
	binary.BigEndian.PutUint64(buf, id)
	binary.BigEndian.PutUint64(buf[8:], gen)
	mac := hmac.New(sha256.New, g.key)
	mac.Write(buf)
	buf = mac.Sum(buf)[:16+refreshTokenMAC]
	return refreshTokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
}

// parseRefreshToken reads a refresh token this store issued: its grant ID
// and generation. ok is false for anything else, forged or malformed.
func parseRefreshToken(key []byte, tok string) (id, gen uint64, ok bool) {
	body, found := strings.CutPrefix(tok, refreshTokenPrefix)
	if !found || len(body) != base64.RawURLEncoding.EncodedLen(16+refreshTokenMAC) {
		return 0, 0, false
	}
	buf, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(buf) != 16+refreshTokenMAC {
		return 0, 0, false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(buf[:16])
	if !hmac.Equal(mac.Sum(nil)[:refreshTokenMAC], buf[16:]) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(buf), binary.BigEndian.Uint64(buf[8:]), true
}

// refreshState is what a presented refresh token is.
type refreshState int

const (
	refreshDead     refreshState = iota // unknown, forged, another app's, or its grant ended
	refreshReplayed                     // rotated out: the grant is now revoked
	refreshBusy                         // a refresh with it is in flight
	refreshOK                           // current: the refresh is now in flight
)

// beginRefresh checks a presented refresh token for the client and, when
// it is current, marks the refresh in flight. A rotated-out token revokes
// its grant; a grant the app's policy ended is forgotten.
func (g *grantStore) beginRefresh(clientID, tok string, policy RefreshTokenPolicy) (refreshState, *grant) {
	id, gen, ok := parseRefreshToken(g.key, tok)
	g.mu.Lock()
	defer g.mu.Unlock()
	gr := g.grants[id]
	switch {
	case !ok || gr == nil || gr.clientID != clientID || gen > gr.gen:
		return refreshDead, nil
	case gen < gr.gen:
		g.revokeLocked(gr)
		g.countsLocked(clientID).ReplayRevocations++
		return refreshReplayed, nil
	case gr.refreshing:
		g.countsLocked(clientID).InFlightRefusals++
		return refreshBusy, nil
	case policy.expired(gr, g.clock.Now()):
		g.forgetLocked(gr)
		g.countsLocked(clientID).Expirations++
		return refreshDead, nil
	}
	gr.refreshing = true
	g.countsLocked(clientID).InFlight++
	return refreshOK, gr
}

// endRefresh finishes an in-flight refresh: it mints an access token in
// the grant's org and, when rotate says so, a new refresh token ("" when
// not rotated). ok is false when the grant ended meanwhile. Both tokens
// are minted under the store's lock, so a grant revoked at the same moment
// leaves no live token.
func (g *grantStore) endRefresh(gr *grant, rotate bool) (accessToken, refreshToken string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr.refreshing = false
	c := g.countsLocked(gr.clientID)
	c.InFlight--
	if g.grants[gr.id] != gr {
		return "", "", false
	}
	c.Refreshes++
	gr.used = g.clock.Now()
	if rotate {
		gr.gen++
		c.Rotations++
		refreshToken = g.refreshToken(gr.id, gr.gen)
	}
	return gr.org.tokens.issue(gr.id), refreshToken, true
}

// RevokeRefreshTokens ends every grant of the org's connected app (their
// refresh and access tokens), as an admin revoking the app's OAuth tokens
// would.
func (s *RESTServer) RevokeRefreshTokens() {
	s.svc.login.revokeApp(s.svc.app.ClientID)
}

// OAuthCounts returns what the org's connected app's OAuth endpoints did.
func (s *RESTServer) OAuthCounts() OAuthCounts {
	return s.svc.login.oauthCounts(s.svc.app.ClientID)
}

// issueCounts counts tokens issued per grant type.
type issueCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *issueCounts) count(grantType string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[grantType]++
	c.mu.Unlock()
}

func (c *issueCounts) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// user is the org of a username (Salesforce usernames ignore case).
func (g *grantStore) user(username string) (*restService, bool) {
	org, ok := g.users[strings.ToLower(strings.TrimSpace(username))]
	return org, ok
}

// peekPending returns a pending request that has not expired, leaving it
// pending (a mistyped username shows the form again).
func (g *grantStore) peekPending(id string) (authRequest, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, ok := g.pending[id]
	return req, ok && g.clock.Now().Before(req.expires)
}
