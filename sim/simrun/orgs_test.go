package simrun

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// TestManyOrgsShareTheEndpointsEachWithItsOwnTraffic: a world of three
// orgs has one Pub/Sub endpoint and login host, a banner whose top keys
// are the first org's and whose orgs list all three with their own
// tenant, instance, session and connected app, and Events generates that
// many events in every org.
func TestManyOrgsShareTheEndpointsEachWithItsOwnTraffic(t *testing.T) {
	t.Parallel()
	c := loopback()
	c.Orgs, c.Events = 3, 20
	r := start(t, c)
	b := r.Banner
	if len(b.Orgs) != 3 || len(r.Orgs) != 3 || r.World == nil {
		t.Fatalf("%d orgs in the banner, %d running, want 3", len(b.Orgs), len(r.Orgs))
	}
	first := b.Orgs[0]
	if first.TenantID != b.TenantID || first.InstanceURL != b.InstanceURL || first.AccessToken != b.AccessToken ||
		first.ClientID != b.ClientID || first.ClientSecret != b.ClientSecret {
		t.Errorf("the banner's keys %+v are not the first org's %+v", b, first)
	}
	seen := map[string]bool{}
	for i, o := range b.Orgs {
		for name, v := range map[string]string{"tenant_id": o.TenantID, "instance_url": o.InstanceURL, "access_token": o.AccessToken,
			"client_id": o.ClientID, "client_secret": o.ClientSecret, "username": o.Username} {
			if v == "" || seen[v] {
				t.Errorf("org %d: %s %q is empty or another org's", i+1, name, v)
			}
			seen[v] = true
		}
		if s := r.Orgs[i]; s.PubSub.Addr() != b.PubSubAddr || s.LoginURL != b.LoginURL {
			t.Errorf("org %d does not share the Pub/Sub endpoint and the login host", i+1)
		}
	}
	line, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Orgs []map[string]string `json:"orgs"`
	}
	if err := json.Unmarshal(line, &doc); err != nil || len(doc.Orgs) != 3 || len(doc.Orgs[2]) != 6 {
		t.Errorf("banner line orgs %v (%v), want 3 of 6 keys", doc.Orgs, err)
	}

	n, err := r.Generate(t.Context())
	if err != nil || n != 3*c.Events {
		t.Fatalf("generated %d (%v), want %d", n, err, 3*c.Events)
	}
	for i, s := range r.Orgs {
		events, _ := s.Bus.ReadAfter(s.Bus.StartEarliest(), func(string) bool { return true }, 1000, 1<<30)
		if len(events) != c.Events {
			t.Errorf("org %d: %d events on its bus, want %d", i+1, len(events), c.Events)
		}
	}
}

func TestTheStatsOfOneSourceAndOfAMissingOne(t *testing.T) {
	t.Parallel()
	r := start(t, loopback())
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(r.Banner.CommsMiningURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := get("/_sim/stats/p/s"); code != http.StatusOK || body["SyncRequests"] != float64(0) {
		t.Errorf("stats of p/s: %d %v", code, body)
	}
	if code, body := get("/_sim/stats/p/nosuch"); code != http.StatusNotFound || body["status"] != "error" {
		t.Errorf("stats of a missing source: %d %v, want 404 with CM's error body", code, body)
	}
	if _, body := get("/_sim/stats"); body["Sources"] == nil {
		t.Errorf("/_sim/stats has no Sources: %v", body)
	}
}

// The OAuth settings a customer's app may have apply to every org:
// refresh token rotation, and the session timeout that ends an access
// token nobody used for that long.
func TestRotationAndTheIdleTimeoutApplyToEveryOrg(t *testing.T) {
	t.Parallel()
	c := loopback()
	c.Orgs, c.RotateRefreshTokens, c.TokenIdleTimeout = 2, true, 300*time.Millisecond
	r := start(t, c)
	for i, org := range r.Orgs {
		if !org.REST.App().RotateRefreshTokens {
			t.Errorf("org %d's app does not rotate refresh tokens", i)
		}
	}
	call := func(org OrgBanner) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, org.InstanceURL+"/services/data/v62.0/limits", nil)
		req.Header.Set("Authorization", "Bearer "+org.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, org := range r.Banner.Orgs {
		if got := call(org); got != http.StatusOK {
			t.Fatalf("a fresh token answered %d", got)
		}
	}
	time.Sleep(700 * time.Millisecond) // past the idle timeout, no call in between
	for _, org := range r.Banner.Orgs {
		if got := call(org); got != http.StatusUnauthorized {
			t.Fatalf("a token idle past the timeout answered %d; want 401", got)
		}
	}
}

// The refresh processing delay and the refresh token policy apply to every
// org: each org's app carries the policy, and a refresh sent while another
// with the same token is still being processed is refused with
// Salesforce's "token request is already being processed".
func TestTheRefreshDelayAndPolicyApplyToEveryOrg(t *testing.T) {
	t.Parallel()
	c := loopback()
	policy := sfsim.RefreshTokenPolicy{ExpireAfter: 90 * 24 * time.Hour, ExpireIfNotUsedFor: 30 * 24 * time.Hour}
	// A delay far longer than the test: the first refresh is still being
	// processed whenever the second arrives (it is cancelled at the end).
	c.Orgs, c.RefreshDelay, c.RefreshTokenPolicy = 2, time.Hour, policy
	r := start(t, c)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, org := range r.Orgs {
		if got := org.REST.App().RefreshTokenPolicy; got != policy {
			t.Errorf("org %d's refresh token policy is %+v; want %+v", i, got, policy)
		}
		app := org.REST.App()
		refresh := approveOnce(t, client, org.LoginURL, app)
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}
		ctx, cancel := context.WithCancel(t.Context())
		first := make(chan struct{})
		go func() {
			defer close(first)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, org.LoginURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		for deadline := time.Now().Add(30 * time.Second); org.REST.OAuthCounts().InFlight == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("org %d: the first refresh was never in flight (no processing delay?)", i)
			}
		}
		resp, err := client.PostForm(org.LoginURL+"/services/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		<-first
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "token request is already being processed") {
			t.Errorf("org %d: a refresh while another is processed answered %d %s", i, resp.StatusCode, body)
		}
	}
}

// approveOnce is the web-server flow through the simulated approval page
// (Allow), as the org's user would: the grant's refresh token.
func approveOnce(t *testing.T, client *http.Client, loginURL string, app sfsim.ConnectedApp) string {
	t.Helper()
	const callback = "http://localhost:18080/oauth2/callback"
	resp, err := client.Get(loginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {callback}, "scope": {"api refresh_token"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("authorize answered %d without the approval form:\n%s", resp.StatusCode, page)
	}
	resp, err = client.PostForm(loginURL+"/services/oauth2/authorize", url.Values{"request": {string(m[1])}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("Allow answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.PostForm(loginURL+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {back.Query().Get("code")}, "redirect_uri": {callback}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Refresh string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Refresh == "" {
		t.Fatalf("the code exchange answered %d: %v", resp.StatusCode, err)
	}
	return tok.Refresh
}

// The registered callback applies to every org's connected app (a hosted
// deployment's callback, not a loopback /oauth2/callback), and
// GET /_sim/oauth answers what the apps' OAuth endpoints did: here one
// grant issued and refreshed once through the registered callback.
func TestTheCallbackURLAppliesToEveryOrgAndTheOAuthCountsAreServed(t *testing.T) {
	t.Parallel()
	const callback = "http://127.0.0.1:9/external/salesforce/oauth2/callback"
	c := loopback()
	c.Orgs, c.CallbackURLs = 2, []string{callback}
	r := start(t, c)
	for i, org := range r.Orgs {
		if got := org.REST.App().CallbackURLs; len(got) != 1 || got[0] != callback {
			t.Errorf("org %d's app registers %q; want only %s", i, got, callback)
		}
	}
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	app := r.Orgs[1].REST.App()
	resp, err := noRedirects.Get(r.Banner.LoginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"},
		"client_id": {app.ClientID}, "redirect_uri": {"http://localhost:18080/oauth2/callback"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "redirect_uri_mismatch") {
		t.Fatalf("a loopback callback the app did not register was accepted: %d\n%s", resp.StatusCode, page)
	}
	get := func() (counts sfsim.OAuthCounts) {
		resp, err := http.Get(r.Banner.CommsMiningURL + "/_sim/oauth")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /_sim/oauth: %d, %v", resp.StatusCode, err)
		}
		return counts
	}
	if c := get(); c != (sfsim.OAuthCounts{}) {
		t.Fatalf("counts before any OAuth request: %+v", c)
	}
	// Through the registered callback: the login page, Allow, the code
	// exchanged, one refresh.
	resp, err = noRedirects.Get(r.Banner.LoginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"},
		"client_id": {app.ClientID}, "redirect_uri": {callback}, "scope": {"api refresh_token"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("the registered callback did not lead to the login page: %d\n%s", resp.StatusCode, page)
	}
	resp, err = noRedirects.PostForm(r.Banner.LoginURL+"/services/oauth2/authorize", url.Values{"request": {m[1]}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), callback+"?") || back.Query().Get("code") == "" {
		t.Fatalf("Allow redirected to %q; want the registered callback with a code", resp.Header.Get("Location"))
	}
	token := func(form url.Values) (refresh string) {
		form.Set("client_id", app.ClientID)
		form.Set("client_secret", app.ClientSecret)
		resp, err := http.PostForm(r.Banner.LoginURL+"/services/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			Refresh string `json:"refresh_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("token request %s: %d, %v", form.Get("grant_type"), resp.StatusCode, err)
		}
		return tok.Refresh
	}
	refresh := token(url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {callback}})
	token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if c := get(); c.GrantsIssued != 1 || c.Refreshes != 1 || c.GrantsRevoked != 0 {
		t.Fatalf("counts %+v; want one grant issued and refreshed once", c)
	}
}
