package salesforce

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// webServerLogin runs the web-server flow against an AutoApprove app and
// returns the token response: a grant with a refresh token.
func (h *restHarness) webServerLogin(t testing.TB) tokenResponse {
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

// refreshNoFatal is refresh for another goroutine: failures are answers
// with status 0.
func (h *restHarness) refreshNoFatal(refreshToken string) answer {
	app := h.sim.REST.App()
	form := url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {refreshToken}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}
	resp, err := h.http.PostForm(h.sim.LoginURL+"/services/oauth2/token", form)
	if err != nil {
		return answer{body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
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

const alreadyProcessingBody = `{"error":"invalid_grant","error_description":"token request is already being processed"}`

// TestASecondRefreshWhileOneIsInFlightIsRefused: while a refresh with a
// token is in flight, another with the same token gets Salesforce's 400;
// the first still succeeds, and without rotation the token works again
// afterwards.
func TestASecondRefreshWhileOneIsInFlightIsRefused(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	tok := h.webServerLogin(t)
	hold := h.sim.REST.HoldRefreshes()
	first := make(chan answer, 1)
	go func() { first <- h.refreshNoFatal(tok.RefreshToken) }()
	<-hold.Arrived()
	wantOAuthBody(t, "the second refresh", h.refresh(t, tok.RefreshToken), 400, alreadyProcessingBody)
	hold.Release()
	if a := <-first; a.status != http.StatusOK {
		t.Fatalf("the first refresh: %d %s", a.status, a.body)
	}
	h.refreshed(t, tok.RefreshToken)
	if c := h.sim.REST.OAuthCounts(); c.InFlightRefusals != 1 || c.Refreshes != 2 || c.InFlight != 0 || c.GrantsRevoked != 0 {
		t.Fatalf("counts %+v, want 1 in-flight refusal, 2 refreshes, none in flight, none revoked", c)
	}
}

// TestRetryingARefreshThatRotatedRevokesTheGrant: with rotation on, the
// client that was refused while another refresh was in flight and retries
// with the same token replays a rotated-out token, and loses the grant:
// the hazard sfcdc's single writer exists for.
func TestRetryingARefreshThatRotatedRevokesTheGrant(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	tok := h.webServerLogin(t)
	hold := h.sim.REST.HoldRefreshes()
	first := make(chan answer, 1)
	go func() { first <- h.refreshNoFatal(tok.RefreshToken) }()
	<-hold.Arrived()
	wantOAuthBody(t, "the overlapping refresh", h.refresh(t, tok.RefreshToken), 400, alreadyProcessingBody)
	hold.Release()
	var won tokenResponse
	a := <-first
	a.json(t, &won)
	if a.status != http.StatusOK || won.RefreshToken == "" {
		t.Fatalf("the first refresh: %d %s", a.status, a.body)
	}
	wantOAuthBody(t, "the retry with the old token", h.refresh(t, tok.RefreshToken), 400, expiredTokenBody)
	wantOAuthBody(t, "the winner's new token", h.refresh(t, won.RefreshToken), 400, expiredTokenBody)
	if c := h.sim.REST.OAuthCounts(); c.InFlightRefusals != 1 || c.ReplayRevocations != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// TestARefreshIsInFlightForItsProcessingDelay: with a processing delay a
// refresh stays in flight (refusing another with its token); a client that
// gives up has still spent its token when rotation is on, as with
// Salesforce: retrying with it revokes the grant.
func TestARefreshIsInFlightForItsProcessingDelay(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	tok := h.webServerLogin(t)
	h.sim.REST.SetRefreshDelay(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		app := h.sim.REST.App()
		form := url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ClientID}}
		req, _ := http.NewRequestWithContext(ctx, "POST", h.sim.LoginURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := h.http.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gaveUp <- err
	}()
	for h.sim.REST.OAuthCounts().InFlight == 0 {
		time.Sleep(time.Millisecond) // polls a gauge; no assertion on time
	}
	wantOAuthBody(t, "a refresh during the delay", h.refresh(t, tok.RefreshToken), 400, alreadyProcessingBody)
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("the cancelled refresh got an answer")
	}
	for h.sim.REST.OAuthCounts().InFlight != 0 {
		time.Sleep(time.Millisecond) // polls a gauge; no assertion on time
	}
	h.sim.REST.SetRefreshDelay(0)
	wantOAuthBody(t, "the retry with the spent token", h.refresh(t, tok.RefreshToken), 400, expiredTokenBody)
	if c := h.sim.REST.OAuthCounts(); c.Refreshes != 1 || c.Rotations != 1 || c.ReplayRevocations != 1 {
		t.Fatalf("counts %+v: the abandoned refresh rotated, the retry revoked", c)
	}
}

// TestTheSixthApprovalEvictsTheOldest: a user holds at most five
// approvals of one app; the sixth login ends the oldest grant (refresh
// and access tokens), the five newest keep working.
func TestTheSixthApprovalEvictsTheOldest(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	var logins []tokenResponse
	for range MaxApprovals + 1 {
		logins = append(logins, h.webServerLogin(t))
	}
	wantOAuthBody(t, "the oldest grant's refresh token", h.refresh(t, logins[0].RefreshToken), 400, expiredTokenBody)
	if st := h.apiStatus(t, logins[0].AccessToken); st != http.StatusUnauthorized {
		t.Errorf("the oldest grant's access token: %d, want 401", st)
	}
	for i, tok := range logins[1:] {
		if st := h.apiStatus(t, tok.AccessToken); st != http.StatusOK {
			t.Errorf("grant %d's access token: %d", i+2, st)
		}
		h.refreshed(t, tok.RefreshToken)
	}
	if c := h.sim.REST.OAuthCounts(); c.GrantsIssued != 6 || c.Evictions != 1 || c.GrantsRevoked != 1 {
		t.Fatalf("counts %+v, want 6 grants, 1 eviction, 1 revoked", c)
	}
}

// TestTheRefreshTokenPolicyEndsGrants: "expire if not used for" ends a
// grant left unrefreshed that long (each refresh starts it again), "expire
// after" ends one that long after its approval however busy; the answer is
// Salesforce's invalid_grant, the approval is free again, and the access
// tokens already issued live on.
func TestTheRefreshTokenPolicyEndsGrants(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RefreshTokenPolicy: RefreshTokenPolicy{ExpireIfNotUsedFor: time.Hour}}})
	idle := h.webServerLogin(t)
	busy := h.webServerLogin(t)
	var last tokenResponse
	for range 3 {
		h.clock.Advance(50 * time.Minute)
		last = h.refreshed(t, busy.RefreshToken)
	}
	wantOAuthBody(t, "the grant idle for 150 minutes", h.refresh(t, idle.RefreshToken), 400, expiredTokenBody)

	h.sim.REST.SetRefreshTokenPolicy(RefreshTokenPolicy{ExpireAfter: 3 * time.Hour})
	if p := h.sim.REST.App().RefreshTokenPolicy; p.ExpireAfter != 3*time.Hour || p.ExpireIfNotUsedFor != 0 {
		t.Fatalf("App() reports policy %+v", p)
	}
	h.clock.Advance(29 * time.Minute) // 2 h 59 min after the approval
	h.refreshed(t, busy.RefreshToken)
	h.clock.Advance(time.Minute)
	wantOAuthBody(t, "the busy grant 3 h after its approval", h.refresh(t, busy.RefreshToken), 400, expiredTokenBody)
	if st := h.apiStatus(t, last.AccessToken); st != http.StatusOK {
		t.Fatalf("an access token of the expired grant: %d, want it to live on", st)
	}
	if c := h.sim.REST.OAuthCounts(); c.Expirations != 2 || c.GrantsRevoked != 0 || c.Refreshes != 4 {
		t.Fatalf("counts %+v, want 2 expirations, none revoked, 4 refreshes", c)
	}
}

// TestTheRefreshTokenIPAllowlist: with the allowlist enforced, a client
// outside it gets invalid_grant "ip restricted" for a refresh and for a
// code exchange, and the grant is kept: once its address is allowed, the
// same refresh token works.
func TestTheRefreshTokenIPAllowlist(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RefreshTokenIPAllowlist: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	tok := h.webServerLogin(t)
	h.sim.REST.SetRefreshTokenIPAllowlist([]netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")})
	const restricted = `{"error":"invalid_grant","error_description":"ip restricted"}`
	wantOAuthBody(t, "a refresh from outside the allowlist", h.refresh(t, tok.RefreshToken), 400, restricted)
	app := h.sim.REST.App()
	if len(app.RefreshTokenIPAllowlist) != 1 || app.RefreshTokenIPAllowlist[0].String() != "203.0.113.0/24" {
		t.Fatalf("App() reports allowlist %v", app.RefreshTokenIPAllowlist)
	}
	a := h.token(t, url.Values{"grant_type": {GrantAuthorizationCode}, "code": {"aPrxany"}, "redirect_uri": {"http://localhost:1/oauth2/callback"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	wantOAuthBody(t, "a code exchange from outside the allowlist", a, 400, restricted)
	h.sim.REST.SetRefreshTokenIPAllowlist(nil)
	h.refreshed(t, tok.RefreshToken)
	if c := h.sim.REST.OAuthCounts(); c.GrantsRevoked != 0 || c.Refreshes != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// TestExpiredGrantsHoldNoApproval: grants the policy ended do not count
// toward a user's five, so a new login after them evicts none.
func TestExpiredGrantsHoldNoApproval(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true, RefreshTokenPolicy: RefreshTokenPolicy{ExpireIfNotUsedFor: time.Hour}}})
	for range MaxApprovals {
		h.webServerLogin(t)
	}
	kept := h.webServerLogin(t) // the sixth, while all five live: evicts the oldest
	h.clock.Advance(50 * time.Minute)
	h.refreshed(t, kept.RefreshToken)
	h.clock.Advance(50 * time.Minute) // the four others are 100 minutes idle
	h.webServerLogin(t)
	h.refreshed(t, kept.RefreshToken)
	if c := h.sim.REST.OAuthCounts(); c.Evictions != 1 || c.Expirations != 4 {
		t.Fatalf("counts %+v, want 1 eviction (the sixth login), 4 expirations (the seventh)", c)
	}
}

// TestUnansweredLoginsAreForgotten: authorize pages nobody answers stop
// costing memory once they expire.
func TestUnansweredLoginsAreForgotten(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	q := url.Values{"response_type": {"code"}, "client_id": {h.sim.REST.App().ClientID}, "redirect_uri": {"http://localhost:1/oauth2/callback"}}.Encode()
	for range maxUnanswered {
		h.call(t, "GET", "/services/oauth2/authorize?"+q, "", nil, nil)
	}
	h.clock.Advance(authCodeTTL)
	h.call(t, "GET", "/services/oauth2/authorize?"+q, "", nil, nil)
	g := h.sim.REST.svc.login
	g.mu.Lock()
	n := len(g.pending)
	g.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d pending requests kept, want only the live one", n)
	}
}
