package salesforce

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// webServerLogin runs the web-server flow against an AutoApprove app and
// returns the token response: a grant with a refresh token.
func (h *restHarness) webServerLogin(t *testing.T) tokenResponse {
	t.Helper()
	app := h.sim.REST.App()
	const callback = "http://localhost:18080/oauth2/callback"
	a := h.call(t, "GET", "/services/oauth2/authorize?"+url.Values{
		"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {callback}, "scope": {"api refresh_token"},
	}.Encode(), "", nil, nil)
	back, err := url.Parse(a.header.Get("Location"))
	if err != nil || a.status != http.StatusFound || back.Query().Get("code") == "" {
		t.Fatalf("authorize: %d, Location %q", a.status, a.header.Get("Location"))
	}
	a = h.token(t, url.Values{
		"grant_type": {GrantAuthorizationCode}, "code": {back.Query().Get("code")}, "redirect_uri": {callback},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	var tok tokenResponse
	a.json(t, &tok)
	if a.status != http.StatusOK || tok.RefreshToken == "" || tok.AccessToken == "" {
		t.Fatalf("code exchange: %d %s", a.status, a.body)
	}
	return tok
}

// refresh presents a refresh token as the org's connected app.
func (h *restHarness) refresh(t *testing.T, refreshToken string) answer {
	t.Helper()
	app := h.sim.REST.App()
	return h.token(t, url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {refreshToken}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
}

// refreshed is a refresh that must succeed.
func (h *restHarness) refreshed(t *testing.T, refreshToken string) tokenResponse {
	t.Helper()
	a := h.refresh(t, refreshToken)
	var tok tokenResponse
	a.json(t, &tok)
	if a.status != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	return tok
}

// apiStatus is the status of a REST call made with token.
func (h *restHarness) apiStatus(t *testing.T, token string) int {
	t.Helper()
	return h.call(t, "GET", "/services/data/v62.0/limits", token, nil, nil).status
}

const expiredTokenBody = `{"error":"invalid_grant","error_description":"expired access/refresh token"}`

func wantOAuthBody(t *testing.T, what string, a answer, status int, body string) {
	t.Helper()
	if a.status != status || strings.TrimSpace(string(a.body)) != body {
		t.Fatalf("%s: %d %s, want %d %s", what, a.status, a.body, status, body)
	}
}

// TestRotationGivesANewRefreshTokenEachTime: with rotation on, each
// refresh answers with a new refresh token, and the new one works.
func TestRotationGivesANewRefreshTokenEachTime(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	tok := h.webServerLogin(t)
	seen := map[string]bool{tok.RefreshToken: true}
	current := tok.RefreshToken
	for i := range 3 {
		next := h.refreshed(t, current)
		if next.RefreshToken == "" || seen[next.RefreshToken] {
			t.Fatalf("refresh %d answered refresh token %q, want a new one", i+1, next.RefreshToken)
		}
		if h.apiStatus(t, next.AccessToken) != http.StatusOK {
			t.Fatalf("refresh %d: its access token is refused", i+1)
		}
		seen[next.RefreshToken], current = true, next.RefreshToken
	}
	if c := h.sim.REST.OAuthCounts(); c.Refreshes != 3 || c.Rotations != 3 || c.GrantsIssued != 1 || c.GrantsRevoked != 0 {
		t.Fatalf("counts %+v, want 3 refreshes, 3 rotations, 1 grant, none revoked", c)
	}
}

// TestARotatedOutRefreshTokenRevokesTheGrant: presenting the token a
// refresh rotated out is refused as Salesforce refuses it, and ends the
// grant: its current refresh token and every access token die with it.
func TestARotatedOutRefreshTokenRevokesTheGrant(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	first := h.webServerLogin(t)
	second := h.refreshed(t, first.RefreshToken)
	wantOAuthBody(t, "the rotated-out token", h.refresh(t, first.RefreshToken), 400, expiredTokenBody)
	wantOAuthBody(t, "the current token after the replay", h.refresh(t, second.RefreshToken), 400, expiredTokenBody)
	for name, tok := range map[string]string{"the first access token": first.AccessToken, "the refreshed access token": second.AccessToken} {
		if st := h.apiStatus(t, tok); st != http.StatusUnauthorized {
			t.Errorf("%s after the replay: %d, want 401", name, st)
		}
	}
	if c := h.sim.REST.OAuthCounts(); c.ReplayRevocations != 1 || c.GrantsRevoked != 1 || c.Refreshes != 1 {
		t.Fatalf("counts %+v, want 1 replay revocation, 1 grant revoked, 1 refresh", c)
	}
}

// TestRotationIsSetAtRuntime: without rotation the refresh token stays
// (no refresh_token in the answer, the same token works again); turned on
// at runtime, the next refresh rotates it.
func TestRotationIsSetAtRuntime(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	tok := h.webServerLogin(t)
	for i := range 2 {
		if got := h.refreshed(t, tok.RefreshToken); got.RefreshToken != "" {
			t.Fatalf("refresh %d without rotation answered a refresh token", i+1)
		}
	}
	h.sim.REST.SetRotateRefreshTokens(true)
	if !h.sim.REST.App().RotateRefreshTokens {
		t.Fatal("App() does not report rotation on")
	}
	next := h.refreshed(t, tok.RefreshToken)
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("with rotation on: refresh token %q", next.RefreshToken)
	}
	h.sim.REST.SetRotateRefreshTokens(false)
	if got := h.refreshed(t, next.RefreshToken); got.RefreshToken != "" {
		t.Fatal("rotation turned off still rotates")
	}
	wantOAuthBody(t, "the token rotated out while rotation was on", h.refresh(t, tok.RefreshToken), 400, expiredTokenBody)
}
