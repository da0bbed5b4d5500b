package onboard_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/internal/browsertest"
)

// The onboarding pages in a real browser (issue 17's acceptance): headless
// Chromium, driven through the DevTools protocol, opens the authenticate
// link, fills in and submits the simulated Salesforce login form and lands
// on sfcdc's callback page, as the customer's admin would. The plain-HTTP
// tests (onboard_test.go) prove the protocol; these prove that a browser
// follows it (redirects across hosts, the form, TLS to the login host) and
// that every page it shows is accessible and readable on a phone.
//
// One browser process serves every case (each in a browser context of its
// own, as a private window): starting Chromium costs far more than a case.
func TestBrowser(t *testing.T) {
	browser := browsertest.Start(t)
	for _, c := range []struct {
		name string
		run  func(t *testing.T, b *browsertest.Tab)
	}{
		{"AllowLandsOnTheSuccessPage", browserAllow},
		{"DenySaysTheIntegrationStaysWaiting", browserDeny},
		{"ALoginToAnotherOrgIsRefused", browserWrongOrg},
		{"AReloadedCallbackHasExpired", browserExpired},
		{"TheChecksCatchAnInaccessiblePage", browserChecksFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, browsertest.NewTab(t, browser, "onboard"))
		})
	}
}

// Allow: the admin approves on Salesforce's page and lands on the success
// page; the grant is stored for the org that approved. The success page is
// also photographed at a phone's viewport.
func browserAllow(t *testing.T, b *browsertest.Tab) {
	s := newService(t, 1)
	org := s.world.Orgs[0]
	open(b, s.authenticateURL(), "salesforce-approval")
	status, text := submit(b, `button[value="allow"]`, "success")
	if status != 200 || !strings.Contains(text, "The integration is set up") || !strings.Contains(text, org.Org.ID()) {
		t.Fatalf("Allow landed on %d:\n%s", status, text)
	}
	if g, err := s.vault.Load(t.Context(), integrationName); err != nil || g.OrgID != org.Org.ID() {
		t.Fatalf("stored grant %v, %v; want one for org %s", g, err, org.Org.ID())
	}
	b.Phone("success")
}

// Deny: the page says access was denied and the integration stays waiting
// for its authorisation; nothing is stored.
func browserDeny(t *testing.T, b *browsertest.Tab) {
	s := newService(t, 1)
	open(b, s.authenticateURL(), "")
	status, text := submit(b, `button[value="deny"]`, "denied")
	if status != 200 || !strings.Contains(text, "Access was denied") || !strings.Contains(text, "waiting for authorisation") {
		t.Fatalf("Deny landed on %d:\n%s", status, text)
	}
	if _, err := s.vault.Load(t.Context(), integrationName); !errors.Is(err, custody.ErrNoGrant) {
		t.Fatalf("after Deny the vault holds %v", err)
	}
	b.Phone("denied")
}

// A login to another org: the admin types the other org's username in
// Salesforce's form; the page refuses it naming both orgs, and the
// integration's grant is the one it had.
func browserWrongOrg(t *testing.T, b *browsertest.Tab) {
	s := newService(t, 2)
	first, other := s.world.Orgs[0], s.world.Orgs[1]
	open(b, s.authenticateURL(), "")
	if status, text := submit(b, `button[value="allow"]`, ""); status != 200 {
		t.Fatalf("the first approval landed on %d:\n%s", status, text)
	}
	before, err := s.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	revokes := s.world.OAuthCounts().RevokeRequests
	open(b, s.authenticateURL(), "")
	b.Do(chromedp.Clear(chromedp.ID("username")), chromedp.SendKeys(chromedp.ID("username"), other.REST.App().Username))
	status, text := submit(b, `button[value="allow"]`, "wrong-org")
	if status != 409 || !strings.Contains(text, "wrong Salesforce org") || !strings.Contains(text, other.Org.ID()) ||
		!strings.Contains(text, first.Org.ID()) {
		t.Fatalf("a login to org %s landed on %d:\n%s", other.Org.ID(), status, text)
	}
	after, err := s.vault.Load(t.Context(), integrationName)
	if err != nil || after.Version != before.Version || after.OrgID != first.Org.ID() {
		t.Fatalf("the grant after a refused login: %v, %v; want it unchanged", after, err)
	}
	if got := s.world.OAuthCounts().RevokeRequests; got != revokes+1 {
		t.Fatalf("%d revoke requests after the refused login; want %d (the other org's new grant revoked)", got, revokes+1)
	}
}

// An expired state: the admin reloads the callback page after approving
// (its state was taken once); the page says the link expired and nothing
// changed, and the grant stays as the first visit stored it.
func browserExpired(t *testing.T, b *browsertest.Tab) {
	s := newService(t, 1)
	open(b, s.authenticateURL(), "")
	if status, text := submit(b, `button[value="allow"]`, ""); status != 200 {
		t.Fatalf("the approval landed on %d:\n%s", status, text)
	}
	before, err := s.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Reload())
	if err != nil {
		t.Fatalf("reloading the callback: %v", err)
	}
	text := b.Page("expired")
	if resp.Status != 400 || !strings.Contains(text, "expired") || !strings.Contains(text, "Nothing was changed") {
		t.Fatalf("the reloaded callback answered %d:\n%s", resp.Status, text)
	}
	if after, _ := s.vault.Load(t.Context(), integrationName); after.Version != before.Version {
		t.Fatal("a reloaded callback changed the grant")
	}
}

// The accessibility checks themselves: a page with each fault they look
// for is reported for each, so a pass above means the pages have none.
func browserChecksFail(t *testing.T, b *browsertest.Tab) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head></head><body style="background:#fff">
<h1>One</h1><h1>Two</h1><h3>Skipped</h3><p style="color:#999">Grey on white is 2.8:1</p>
<form><input name="nolabel" type="text"><input type="hidden" name="fine"><button></button></form>
<table><caption>Headless</caption><tr><td>a cell</td></tr></table>
<table><caption>Headed</caption><tr><th scope="col">Fine</th></tr><tr><td>a cell</td></tr></table></body></html>`)
	}))
	t.Cleanup(bad.Close)
	b.Do(chromedp.Navigate(bad.URL))
	got := strings.Join(b.Problems(), "\n")
	for _, want := range []string{"no lang", "2 h1 elements", "no <title>", "nolabel has no label", "button has no text",
		`for "Grey on white`, `"Skipped" skips from h1 to h3`, "no <meta name=\"viewport\"", `"Headless" has no header cells`} {
		if !strings.Contains(got, want) {
			t.Errorf("the checks missed %q; they reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fine") || strings.Contains(got, `"One"`) || strings.Contains(got, "Headed") {
		t.Errorf("the checks reported what is fine:\n%s", got)
	}
}

// open navigates to url and waits for Salesforce's approval page (the
// authenticate link redirects there); shot names its screenshot ("" for
// none).
func open(b *browsertest.Tab, url, shot string) {
	b.T.Helper()
	status, text := b.Open(url, shot)
	if status != 200 || !strings.Contains(text, "Allow Access?") {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		b.T.Fatalf("the authenticate link led to %d %s, not Salesforce's approval page:\n%s", status, loc, text)
	}
}

// submit clicks the button and waits for the page the form leads to
// (through Salesforce's redirect to the callback); it returns that page's
// HTTP status and text.
func submit(b *browsertest.Tab, button, shot string) (int, string) {
	b.T.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.T.Fatalf("clicking %s: %v", button, err)
	}
	return int(resp.Status), b.Page(shot)
}
