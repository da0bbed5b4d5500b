package simworld

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// CodeGrant runs the web-server flow against a simulated org's app that
// approves at once (ConnectedApp.AutoApprove) through client (which must
// not follow redirects, and trust the simulator's CA when it serves TLS),
// and returns the new grant's refresh and access tokens: the grant a
// customer's admin gives by approving, for tests of what holds grants.
func CodeGrant(t testing.TB, client *http.Client, loginURL string, app sfsim.ConnectedApp) (refresh, access string) {
	t.Helper()
	const callback = "http://localhost:18080/oauth2/callback"
	resp, err := client.Get(loginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {callback}, "scope": {"api refresh_token"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d, Location %q (is the app AutoApprove, and does the client follow redirects?)", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.PostForm(loginURL+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {back.Query().Get("code")}, "redirect_uri": {callback}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Refresh == "" {
		t.Fatalf("code exchange answered %d: %v", resp.StatusCode, err)
	}
	return tok.Refresh, tok.Access
}
