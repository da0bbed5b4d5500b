package salesforce

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The refresh token flow follows hosted-oauth.md §1: with rotation on,
// each refresh answers with a new refresh token and the one sent dies;
// presenting a rotated-out token revokes the grant and its access tokens
// (no grace period: Salesforce documents none); while a refresh with a
// token is in flight, another with the same token is refused as "token
// request is already being processed" (Salesforce since Summer '24).

// Descriptions of the refresh flow's invalid_grant answers.
const (
	msgExpiredToken     = "expired access/refresh token"
	msgAlreadyRefreshed = "token request is already being processed"
)

// refreshSettings are the refresh endpoint's runtime settings: rotation,
// the processing time of each refresh, and a test's hold.
type refreshSettings struct {
	rotate atomic.Bool
	delay  atomic.Int64 // time.Duration

	mu        sync.Mutex
	hold      *RefreshHold
	policy    RefreshTokenPolicy
	allowlist []netip.Prefix
}

// msgIPRestricted is invalid_grant's description for a client outside the
// refresh token IP allowlist (forceworkbench#772).
const msgIPRestricted = "ip restricted"

// SetRefreshTokenIPAllowlist changes the org's connected app's refresh
// token IP allowlist (nil: no restriction) from the next request on.
func (s *RESTServer) SetRefreshTokenIPAllowlist(ranges []netip.Prefix) {
	r := &s.svc.refresh
	r.mu.Lock()
	r.allowlist = slices.Clone(ranges)
	r.mu.Unlock()
}

// ipAllowed says whether a client at remoteAddr may finish a code
// exchange or a refresh.
func (r *refreshSettings) ipAllowed(remoteAddr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.allowlist) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(r.allowlist, func(p netip.Prefix) bool { return p.Contains(ap.Addr().Unmap()) })
}

// RefreshHold holds every refresh that reaches it, in flight, until
// Release, so a test can make refreshes overlap without timing.
type RefreshHold struct {
	arrived  chan struct{}
	released chan struct{}
	once     sync.Once
	owner    *refreshSettings
}

// Arrived receives once for each refresh the hold is holding; when it
// does, that refresh is in flight.
func (h *RefreshHold) Arrived() <-chan struct{} { return h.arrived }

// Release lets every held refresh (and later ones) finish, and ends the
// hold.
func (h *RefreshHold) Release() {
	h.once.Do(func() {
		close(h.released)
		h.owner.mu.Lock()
		if h.owner.hold == h {
			h.owner.hold = nil
		}
		h.owner.mu.Unlock()
	})
}

// SetRotateRefreshTokens turns refresh token rotation on or off for the
// org's connected app from the next refresh on.
func (s *RESTServer) SetRotateRefreshTokens(on bool) { s.svc.refresh.rotate.Store(on) }

// SetRefreshTokenPolicy changes the org's connected app's refresh token
// policy; it applies to every grant, old or new, from the next refresh on.
func (s *RESTServer) SetRefreshTokenPolicy(p RefreshTokenPolicy) {
	r := &s.svc.refresh
	r.mu.Lock()
	r.policy = p
	r.mu.Unlock()
}

// currentPolicy is the refresh token policy now.
func (r *refreshSettings) currentPolicy() RefreshTokenPolicy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policy
}

// SetRefreshDelay makes each refresh of the org's connected app take d
// (while in flight) before it answers; 0 answers at once.
func (s *RESTServer) SetRefreshDelay(d time.Duration) { s.svc.refresh.delay.Store(int64(d)) }

// HoldRefreshes holds the org's connected app's refreshes once they are
// in flight (after the processing delay), until the hold is released. A
// new hold replaces an older one, which stays until its own Release.
func (s *RESTServer) HoldRefreshes() *RefreshHold {
	r := &s.svc.refresh
	h := &RefreshHold{arrived: make(chan struct{}), released: make(chan struct{}), owner: r}
	r.mu.Lock()
	r.hold = h
	r.mu.Unlock()
	return h
}

// process is a refresh's time in flight: the delay, then the hold. false:
// the client went away first (the refresh completes all the same).
func (r *refreshSettings) process(ctx context.Context) bool {
	if d := time.Duration(r.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
	r.mu.Lock()
	h := r.hold
	r.mu.Unlock()
	if h == nil {
		return true
	}
	select {
	case h.arrived <- struct{}{}:
	case <-h.released:
		return true
	case <-ctx.Done():
		return false
	}
	select {
	case <-h.released:
		return true
	case <-ctx.Done():
		return false
	}
}

// redeemRefreshToken serves the refresh token grant.
func (s *restService) redeemRefreshToken(w http.ResponseWriter, r *http.Request) {
	id, secret := clientAuth(r)
	switch {
	case id != s.app.ClientID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	case secret != "" && !s.secretMatches(secret):
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}
	if !s.refresh.ipAllowed(r.RemoteAddr) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msgIPRestricted)
		return
	}
	state, gr := s.login.beginRefresh(id, r.PostForm.Get("refresh_token"), s.refresh.currentPolicy())
	switch state {
	case refreshDead, refreshReplayed:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msgExpiredToken)
		return
	case refreshBusy:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msgAlreadyRefreshed)
		return
	}
	// A refresh whose client went away (a crash, a timeout) completes
	// all the same, as a server does not undo its work for a closed
	// connection: with rotation the client's token is spent, and its next
	// try with it revokes the grant. This is the hazard a persisting
	// client must survive, so the simulator keeps it.
	waited := s.refresh.process(r.Context())
	access, refresh, ok := s.login.endRefresh(gr, s.refresh.rotate.Load())
	switch {
	case !waited:
		return // nobody is waiting for the answer
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msgExpiredToken)
		return
	}
	resp := gr.org.respond(s.app, GrantRefreshToken, gr.scope, access)
	resp.RefreshToken = refresh
	writeJSON(w, http.StatusOK, resp)
}
