package salesforce

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// loginHost drives a World's shared login host as a browser would.
type loginHost struct {
	w  *World
	hc *http.Client
}

const worldCallback = "http://localhost:18080/oauth2/callback"

func newLoginHost(t *testing.T, w *World) loginHost {
	hc := worldHTTP(t, w)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return loginHost{w: w, hc: hc}
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// open opens the authorize page of app and returns the page and the
// pending request's ID.
func (l loginHost) open(t *testing.T, app ConnectedApp, loginHint string) (page, request string) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {worldCallback}, "state": {"st8"}, "scope": {"api refresh_token"}}
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	resp, err := l.hc.Get(l.w.LoginURL + "/services/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := requestField.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("authorize page: %d %s", resp.StatusCode, body)
	}
	return string(body), string(m[1])
}

// decide posts the form: decision "allow" or "deny", username "" to keep
// the one shown.
func (l loginHost) decide(t *testing.T, app ConnectedApp, request, username, decision string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"request": {request}, "client_id": {app.ClientID}, "decision": {decision}}
	if username != "" {
		form.Set("username", username)
	}
	resp, err := l.hc.PostForm(l.w.LoginURL+"/services/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// exchange redeems the code of an Allow's redirect as app.
func (l loginHost) exchange(t *testing.T, app ConnectedApp, allowed *http.Response) tokenResponse {
	t.Helper()
	back, err := url.Parse(allowed.Header.Get("Location"))
	if err != nil || allowed.StatusCode != http.StatusFound || back.Query().Get("code") == "" {
		t.Fatalf("Allow answered %d, Location %q", allowed.StatusCode, allowed.Header.Get("Location"))
	}
	return l.token(t, url.Values{
		"grant_type": {GrantAuthorizationCode}, "code": {back.Query().Get("code")}, "redirect_uri": {worldCallback},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
}

func (l loginHost) token(t *testing.T, form url.Values) tokenResponse {
	t.Helper()
	resp, err := l.hc.PostForm(l.w.LoginURL+"/services/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token request %s: %d %v", form.Get("grant_type"), resp.StatusCode, err)
	}
	return tok
}

// wantTokenOf checks that tok is a session of org s, reported as s's.
func wantTokenOf(t *testing.T, what string, tok tokenResponse, s *Sim, others ...*Sim) {
	t.Helper()
	if tok.InstanceURL != s.InstanceURL || !strings.Contains(tok.ID, "/id/"+s.Org.ID()+"/") || !s.Tokens.Valid(tok.AccessToken) {
		t.Fatalf("%s: instance %s id %s valid %v, want org %s at %s", what, tok.InstanceURL, tok.ID, s.Tokens.Valid(tok.AccessToken), s.Org.ID(), s.InstanceURL)
	}
	for _, o := range others {
		if o.Tokens.Valid(tok.AccessToken) {
			t.Fatalf("%s: the token is valid in org %s too", what, o.Org.ID())
		}
	}
}

// TestWorldLoginLandsInTheUsersOrg: one login host for every org; a login
// to org 1's connected app by a user of org 3 (named by login_hint) or of
// org 2 (typed into the form) issues that user's org's tokens, and the
// refresh token (presented as org 1's app) keeps issuing them.
func TestWorldLoginLandsInTheUsersOrg(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 3)
	l := newLoginHost(t, w)
	app := w.Orgs[0].REST.App()
	third, second := w.Orgs[2], w.Orgs[1]

	page, req := l.open(t, app, third.REST.App().Username)
	if !strings.Contains(page, `value="`+third.REST.App().Username+`"`) || !strings.Contains(page, third.Org.ID()) || !strings.Contains(page, `<label for="username">`) {
		t.Fatalf("the page does not show the hinted user of org 3: %s", page)
	}
	allowed, _ := l.decide(t, app, req, "", "allow")
	tok := l.exchange(t, app, allowed)
	wantTokenOf(t, "login_hint of org 3", tok, third, w.Orgs[0], second)
	refreshed := l.token(t, url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	wantTokenOf(t, "the refresh", refreshed, third, w.Orgs[0], second)

	_, req = l.open(t, app, "")
	allowed, _ = l.decide(t, app, req, strings.ToUpper(second.REST.App().Username), "allow")
	wantTokenOf(t, "typed username of org 2", l.exchange(t, app, allowed), second, w.Orgs[0], third)
}

// TestWorldLoginForm: an unknown username shows the form again with
// Salesforce's login error and keeps the request; Deny redirects with
// error=access_denied and the state; the request then is answered.
func TestWorldLoginForm(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	l := newLoginHost(t, w)
	app := w.Orgs[1].REST.App()
	_, req := l.open(t, app, "nobody@example.com")
	resp, body := l.decide(t, app, req, "", "allow")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Please check your username and password") || !strings.Contains(body, req) {
		t.Fatalf("an unknown user: %d %s", resp.StatusCode, body)
	}
	allowed, _ := l.decide(t, app, req, w.Orgs[1].REST.App().Username, "allow")
	wantTokenOf(t, "the second try", l.exchange(t, app, allowed), w.Orgs[1])

	_, req = l.open(t, app, "")
	denied, _ := l.decide(t, app, req, "", "deny")
	back, err := url.Parse(denied.Header.Get("Location"))
	if err != nil || denied.StatusCode != http.StatusFound || back.Query().Get("error") != "access_denied" || back.Query().Get("state") != "st8" || back.Query().Get("code") != "" ||
		!strings.HasPrefix(denied.Header.Get("Location"), worldCallback+"?") {
		t.Fatalf("Deny answered %d, Location %q", denied.StatusCode, denied.Header.Get("Location"))
	}
	if again, _ := l.decide(t, app, req, "", "allow"); again.StatusCode != http.StatusBadRequest {
		t.Fatalf("an answered request accepted again: %d", again.StatusCode)
	}
}

// TestWorldApprovalsAreCountedPerUser: two users of different orgs
// approving one app each hold their own five; the sixth approval of one
// evicts only that user's oldest.
func TestWorldApprovalsAreCountedPerUser(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	l := newLoginHost(t, w)
	app := w.Orgs[0].REST.App()
	login := func(user *Sim) tokenResponse {
		_, req := l.open(t, app, user.REST.App().Username)
		allowed, _ := l.decide(t, app, req, "", "allow")
		return l.exchange(t, app, allowed)
	}
	other := login(w.Orgs[1])
	var mine []tokenResponse
	for range MaxApprovals + 1 {
		mine = append(mine, login(w.Orgs[0]))
	}
	if w.Orgs[0].Tokens.Valid(mine[0].AccessToken) || !w.Orgs[1].Tokens.Valid(other.AccessToken) || !w.Orgs[0].Tokens.Valid(mine[1].AccessToken) {
		t.Fatal("the sixth approval evicted the wrong grant")
	}
	if c := w.OAuthCounts(); c.GrantsIssued != 7 || c.Evictions != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// TestWorldAppsShareTheRotationPolicy: WorldConfig.REST.App's rotation
// applies to every org's generated app, and many integrations refreshing
// at once, each with its own grant, never disturb one another's.
func TestWorldAppsShareTheRotationPolicy(t *testing.T) {
	t.Parallel()
	w, err := StartWorld(WorldConfig{
		Orgs: 3, Org: func(i int) Config { return Config{Seed: uint64(i + 1)} },
		PubSub: PubSubConfig{CAFile: t.TempDir() + "/ca.pem"},
		REST:   RESTConfig{App: ConnectedApp{RotateRefreshTokens: true, AutoApprove: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	l := newLoginHost(t, w)
	const perOrg, rounds = 4, 10
	type integration struct {
		org     *Sim
		refresh string
	}
	var all []*integration
	for _, s := range w.Orgs {
		app := s.REST.App()
		if !app.RotateRefreshTokens || !app.AutoApprove {
			t.Fatalf("org %s's app: rotation %v, auto-approve %v", s.Org.ID(), app.RotateRefreshTokens, app.AutoApprove)
		}
		for range perOrg {
			q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {worldCallback}, "scope": {"api refresh_token"}}
			resp, err := l.hc.Get(w.LoginURL + "/services/oauth2/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			all = append(all, &integration{org: s, refresh: l.exchange(t, app, resp).RefreshToken})
		}
	}
	errs := make(chan error, len(all))
	for _, in := range all {
		go func() {
			app := in.org.REST.App()
			for range rounds {
				resp, err := l.hc.PostForm(w.LoginURL+"/services/oauth2/token", url.Values{
					"grant_type": {GrantRefreshToken}, "refresh_token": {in.refresh}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
				if err != nil {
					errs <- err
					return
				}
				var tok tokenResponse
				err = json.NewDecoder(resp.Body).Decode(&tok)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || tok.RefreshToken == "" || tok.InstanceURL != in.org.InstanceURL {
					errs <- fmt.Errorf("refresh in org %s: %d %v", in.org.Org.ID(), resp.StatusCode, err)
					return
				}
				in.refresh = tok.RefreshToken
			}
			errs <- nil
		}()
	}
	for range all {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := OAuthCounts{Refreshes: len(all) * rounds, Rotations: len(all) * rounds, GrantsIssued: len(all)}
	if c := w.OAuthCounts(); c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
}
