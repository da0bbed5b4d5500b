package onboard_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/custody"
)

// Allow: the admin opens the authenticate link, approves on Salesforce's
// page and lands on the success page; the grant is stored for the org
// that approved, the integration is reported authorised, and the state
// cannot be used twice.
func TestAllowStoresTheGrantAndShowsTheIntegrationIsSetUp(t *testing.T) {
	t.Parallel()
	s := newService(t, 1)
	org := s.world.Orgs[0]
	status, page, callback := s.approve(t, "", "allow")
	if status != http.StatusOK || !strings.Contains(page, "The integration is set up") || !strings.Contains(page, org.Org.ID()) {
		t.Fatalf("landed on %d:\n%s", status, page)
	}
	g, err := s.vault.Load(t.Context(), integrationName)
	if err != nil || g.OrgID != org.Org.ID() || g.RefreshToken == "" || g.AccessToken == "" {
		t.Fatalf("stored grant %v, %v; want one for org %s", g, err, org.Org.ID())
	}
	if got := <-s.authorised; got != integrationName {
		t.Fatalf("Authorised heard %q", got)
	}
	// The same callback again (a reload, or an attacker replaying it).
	resp, err := s.client.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	again := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(again, "expired") {
		t.Fatalf("a replayed callback answered %d:\n%s", resp.StatusCode, again)
	}
	if now, _ := s.vault.Load(t.Context(), integrationName); now.Version != g.Version {
		t.Fatal("a replayed callback changed the grant")
	}
	for _, secret := range []string{g.RefreshToken.Reveal(), g.AccessToken.Reveal(), canaryClientSecret} {
		if strings.Contains(page+again+s.logs.String(), secret) {
			t.Fatal("a token or the client secret is on a page or in the log")
		}
	}
}

// Deny: the page says access was denied and the integration stays waiting
// for its authorisation; nothing is stored.
func TestDenyLeavesTheIntegrationWaitingAndSaysSo(t *testing.T) {
	t.Parallel()
	s := newService(t, 1)
	status, page, _ := s.approve(t, "", "deny")
	if status != http.StatusOK || !strings.Contains(page, "Access was denied") || !strings.Contains(page, "waiting for authorisation") ||
		!strings.Contains(page, "access_denied") {
		t.Fatalf("landed on %d:\n%s", status, page)
	}
	if _, err := s.vault.Load(t.Context(), integrationName); !errors.Is(err, custody.ErrNoGrant) {
		t.Fatalf("after Deny the vault holds %v", err)
	}
}

// A login to another org than the integration's: refused, the new grant
// revoked at Salesforce, the integration's grant kept, and the page names
// both orgs.
func TestALoginToAnotherOrgIsRefusedAndTheOldGrantKept(t *testing.T) {
	t.Parallel()
	s := newService(t, 2)
	first, other := s.world.Orgs[0], s.world.Orgs[1]
	if status, page, _ := s.approve(t, "", "allow"); status != http.StatusOK {
		t.Fatalf("first approval: %d\n%s", status, page)
	}
	before, err := s.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	revokes := s.world.OAuthCounts().RevokeRequests
	status, page, _ := s.approve(t, other.REST.App().Username, "allow")
	if status != http.StatusConflict || !strings.Contains(page, "wrong Salesforce org") || !strings.Contains(page, other.Org.ID()) ||
		!strings.Contains(page, first.Org.ID()) {
		t.Fatalf("a login to org %s landed on %d:\n%s", other.Org.ID(), status, page)
	}
	after, err := s.vault.Load(t.Context(), integrationName)
	if err != nil || after.Version != before.Version || after.OrgID != first.Org.ID() {
		t.Fatalf("the grant after a refused login: %v, %v; want it unchanged", after, err)
	}
	if got := s.world.OAuthCounts().RevokeRequests; got != revokes+1 {
		t.Fatalf("%d revoke requests after the refused login; want %d (the new grant revoked)", got, revokes+1)
	}
}

// A callback whose state is unknown (forged, or its 10 minutes passed and
// Redis dropped it) changes nothing and says the link expired.
func TestAnUnknownOrExpiredStateChangesNothing(t *testing.T) {
	t.Parallel()
	s := newService(t, 1)
	for _, query := range []string{"?code=stolen&state=forged", "?error=access_denied&state=forged", "?code=x", ""} {
		resp, err := s.client.Get(s.server.URL + "/external/salesforce/oauth2/callback" + query)
		if err != nil {
			t.Fatal(err)
		}
		page := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "expired") || !strings.Contains(page, "Nothing was changed") {
			t.Fatalf("callback%s answered %d:\n%s", query, resp.StatusCode, page)
		}
	}
	if _, err := s.vault.Load(t.Context(), integrationName); !errors.Is(err, custody.ErrNoGrant) {
		t.Fatalf("a forged callback stored something: %v", err)
	}
	// An unknown integration's link.
	resp, err := s.client.Get(s.server.URL + "/integrations/acme/nobody/oauth2/authenticate")
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(t, resp); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "Unknown integration") {
		t.Fatalf("an unknown integration's link answered %d:\n%s", resp.StatusCode, page)
	}
}
