package salesforce

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func (h *restHarness) revoke(t *testing.T, token string) answer {
	t.Helper()
	return h.call(t, "POST", "/services/oauth2/revoke", "", strings.NewReader(url.Values{"token": {token}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// TestRevokingARefreshTokenEndsTheGrant: POST /services/oauth2/revoke with
// a refresh token answers 200 and kills the refresh token and every access
// token issued from it.
func TestRevokingARefreshTokenEndsTheGrant(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	tok := h.webServerLogin(t)
	refreshed := h.refreshed(t, tok.RefreshToken)
	if a := h.revoke(t, tok.RefreshToken); a.status != http.StatusOK || len(a.body) != 0 {
		t.Fatalf("revoke: %d %q, want 200 and no body", a.status, a.body)
	}
	wantOAuthBody(t, "refreshing after the revocation", h.refresh(t, tok.RefreshToken), 400, expiredTokenBody)
	for name, access := range map[string]string{"first": tok.AccessToken, "refreshed": refreshed.AccessToken} {
		if st := h.apiStatus(t, access); st != http.StatusUnauthorized {
			t.Errorf("the %s access token after the revocation: %d, want 401", name, st)
		}
	}
	if c := h.sim.REST.OAuthCounts(); c.RevokeRequests != 1 || c.GrantsRevoked != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// TestRevokingAnAccessTokenEndsThatSessionOnly: an access token (here
// through the GET form) is revoked alone; the grant's refresh token still
// gets new ones.
func TestRevokingAnAccessTokenEndsThatSessionOnly(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	tok := h.webServerLogin(t)
	if a := h.call(t, "GET", "/services/oauth2/revoke?"+url.Values{"token": {tok.AccessToken}}.Encode(), "", nil, nil); a.status != http.StatusOK {
		t.Fatalf("GET revoke: %d %s", a.status, a.body)
	}
	if st := h.apiStatus(t, tok.AccessToken); st != http.StatusUnauthorized {
		t.Fatalf("the revoked access token: %d, want 401", st)
	}
	if st := h.apiStatus(t, h.refreshed(t, tok.RefreshToken).AccessToken); st != http.StatusOK {
		t.Fatalf("a new access token from the grant: %d", st)
	}
	if c := h.sim.REST.OAuthCounts(); c.GrantsRevoked != 0 {
		t.Fatalf("counts %+v: no grant was revoked", c)
	}
}

// TestRevokeRefusals: every failure is 400 with one of the two documented
// errors, and changes nothing.
func TestRevokeRefusals(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	tok := h.webServerLogin(t)
	next := h.refreshed(t, tok.RefreshToken) // tok.RefreshToken is now rotated out
	gone := h.webServerLogin(t)
	if a := h.revoke(t, gone.RefreshToken); a.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	cases := []struct{ name, token, code string }{
		{"no token", "", revokeInvalid},
		{"a token of no known shape", "hello", revokeUnsupported},
		{"an unknown access token", h.sim.Org.ID()[:15] + "!nope", revokeInvalid},
		{"a forged refresh token", refreshTokenPrefix + "AAAA", revokeInvalid},
		{"a revoked refresh token", gone.RefreshToken, revokeInvalid},
		{"a rotated-out refresh token", tok.RefreshToken, revokeInvalid},
	}
	for _, tc := range cases {
		a := h.revoke(t, tc.token)
		var e oauthError
		a.json(t, &e)
		if a.status != 400 || e.Error != tc.code || e.Description == "" {
			t.Errorf("%s: %d %s, want 400 %s", tc.name, a.status, a.body, tc.code)
		}
	}
	if next := h.refreshed(t, next.RefreshToken); next.RefreshToken == "" {
		t.Fatal("the grant whose rotated-out token was sent to revoke no longer rotates")
	}
	if c := h.sim.REST.OAuthCounts(); c.GrantsRevoked != 1 || c.ReplayRevocations != 0 {
		t.Fatalf("counts %+v: only the revoked grant ended", c)
	}
}

// TestRevokingFreesAnApproval: with five approvals held, revoking one
// leaves room, so the next login evicts none.
func TestRevokingFreesAnApproval(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	var logins []tokenResponse
	for range MaxApprovals {
		logins = append(logins, h.webServerLogin(t))
	}
	if a := h.revoke(t, logins[2].RefreshToken); a.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	h.webServerLogin(t)
	for i, tok := range logins {
		if i != 2 {
			h.refreshed(t, tok.RefreshToken)
		}
	}
	if c := h.sim.REST.OAuthCounts(); c.Evictions != 0 || c.GrantsRevoked != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// TestWorldRevokeAtTheLoginHost: the shared login host revokes another
// org's access token (found by its org ID prefix) and a refresh token of
// any org.
func TestWorldRevokeAtTheLoginHost(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	hc := worldHTTP(t, w)
	second := w.Orgs[1]
	resp, err := hc.PostForm(w.LoginURL+"/services/oauth2/revoke", url.Values{"token": {second.AccessToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || second.Tokens.Valid(second.AccessToken) {
		t.Fatalf("revoking org 2's token at the login host: %d, still valid: %v", resp.StatusCode, second.Tokens.Valid(second.AccessToken))
	}
	if !w.Orgs[0].Tokens.Valid(w.Orgs[0].AccessToken) {
		t.Fatal("org 1's token died too")
	}
}
