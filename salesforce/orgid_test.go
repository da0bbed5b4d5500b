package salesforce_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/sfcdc/sfcdc/pubsub"
)

// userinfoRequests counts the userinfo calls that crossed the proxy.
func userinfoRequests(org *orgBehindProxy) int {
	return org.count("GET /services/oauth2/userinfo") + org.count("POST /services/oauth2/userinfo")
}

// TestTheOrgIDIsReadFromTheIdentityURL: a token response's id
// (…/id/<org>/<user>) names the org, so the session gets its tenant ID
// without a userinfo call; and that URL is the org's identity service,
// which, asked with the session, names the same org and user.
func TestTheOrgIDIsReadFromTheIdentityURL(t *testing.T) {
	t.Parallel()
	org := startOrgBehindProxy(t, false)
	sess, err := org.credentials(t).Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sess.TenantID != org.sim.Org.ID() {
		t.Fatalf("tenant ID %q, want the org's %q", sess.TenantID, org.sim.Org.ID())
	}
	if n := userinfoRequests(org); n != 0 {
		t.Fatalf("%d userinfo calls; the identity URL already names the org", n)
	}

	idURLs := org.tokenIdentityURLs()
	if len(idURLs) != 1 {
		t.Fatalf("%d token responses, want 1", len(idURLs))
	}
	u, err := url.Parse(idURLs[0])
	if err != nil || u.Path != "/id/"+sess.TenantID+"/"+org.sim.Org.UserID() {
		t.Fatalf("identity URL %q, want …/id/<org>/<user> (%v)", idURLs[0], err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, idURLs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	resp, err := browser(t, org.sim.PubSub.CAFile()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var identity struct {
		OrganizationID string `json:"organization_id"`
		UserID         string `json:"user_id"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &identity) != nil {
		t.Fatalf("the identity URL answered %d: %.200s", resp.StatusCode, body)
	}
	if identity.OrganizationID != sess.TenantID || identity.UserID != org.sim.Org.UserID() {
		t.Fatalf("the identity service names org %q user %q; the session has org %q", identity.OrganizationID, identity.UserID, sess.TenantID)
	}
}

// TestWithoutAnIdentityURLTheOrgIDComesFromUserinfo: a token response
// without "id" still yields a session with the right tenant ID, read from
// userinfo (one call per token response), and the Pub/Sub API — which
// refuses a wrong tenantid — delivers the org's change events with it.
func TestWithoutAnIdentityURLTheOrgIDComesFromUserinfo(t *testing.T) {
	t.Parallel()
	org := startOrgBehindProxy(t, true)
	ids := createCases(t, org.sim, 2)
	creds := org.credentials(t)
	sess, err := creds.Current(t.Context())
	if err != nil {
		t.Fatalf("a token response without an identity URL gave no session: %v", err)
	}
	if sess.TenantID != org.sim.Org.ID() {
		t.Fatalf("tenant ID %q, want the org's %q", sess.TenantID, org.sim.Org.ID())
	}
	if n := userinfoRequests(org); n != 1 {
		t.Fatalf("%d userinfo calls, want 1 (the token response named no org)", n)
	}

	ps, err := pubsub.NewClient(pubsub.Config{
		Endpoint: org.sim.PubSub.Addr(), CAFile: org.sim.PubSub.CAFile(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	sub := ps.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	if got := receiveIDs(t, sub, len(ids)); !slices.Equal(got, ids) {
		t.Fatalf("received events of %v, want %v", got, ids)
	}
}
