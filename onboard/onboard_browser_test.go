package onboard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sfcdc/sfcdc/custody"
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
	browser := startBrowser(t)
	for _, c := range []struct {
		name string
		run  func(t *testing.T, b *tab)
	}{
		{"AllowLandsOnTheSuccessPage", browserAllow},
		{"DenySaysTheIntegrationStaysWaiting", browserDeny},
		{"ALoginToAnotherOrgIsRefused", browserWrongOrg},
		{"AReloadedCallbackHasExpired", browserExpired},
		{"TheChecksCatchAnInaccessiblePage", browserChecksFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newTab(t, browser))
		})
	}
}

// Allow: the admin approves on Salesforce's page and lands on the success
// page; the grant is stored for the org that approved. The success page is
// also photographed at a phone's viewport.
func browserAllow(t *testing.T, b *tab) {
	s := newService(t, 1)
	org := s.world.Orgs[0]
	b.open(s.authenticateURL(), "salesforce-approval")
	status, text := b.submit(`button[value="allow"]`, "success")
	if status != 200 || !strings.Contains(text, "The integration is set up") || !strings.Contains(text, org.Org.ID()) {
		t.Fatalf("Allow landed on %d:\n%s", status, text)
	}
	if g, err := s.vault.Load(t.Context(), integrationName); err != nil || g.OrgID != org.Org.ID() {
		t.Fatalf("stored grant %v, %v; want one for org %s", g, err, org.Org.ID())
	}
	b.phone("success")
}

// Deny: the page says access was denied and the integration stays waiting
// for its authorisation; nothing is stored.
func browserDeny(t *testing.T, b *tab) {
	s := newService(t, 1)
	b.open(s.authenticateURL(), "")
	status, text := b.submit(`button[value="deny"]`, "denied")
	if status != 200 || !strings.Contains(text, "Access was denied") || !strings.Contains(text, "waiting for authorisation") {
		t.Fatalf("Deny landed on %d:\n%s", status, text)
	}
	if _, err := s.vault.Load(t.Context(), integrationName); !errors.Is(err, custody.ErrNoGrant) {
		t.Fatalf("after Deny the vault holds %v", err)
	}
	b.phone("denied")
}

// A login to another org: the admin types the other org's username in
// Salesforce's form; the page refuses it naming both orgs, and the
// integration's grant is the one it had.
func browserWrongOrg(t *testing.T, b *tab) {
	s := newService(t, 2)
	first, other := s.world.Orgs[0], s.world.Orgs[1]
	b.open(s.authenticateURL(), "")
	if status, text := b.submit(`button[value="allow"]`, ""); status != 200 {
		t.Fatalf("the first approval landed on %d:\n%s", status, text)
	}
	before, err := s.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	revokes := s.world.OAuthCounts().RevokeRequests
	b.open(s.authenticateURL(), "")
	b.do(chromedp.Clear(chromedp.ID("username")), chromedp.SendKeys(chromedp.ID("username"), other.REST.App().Username))
	status, text := b.submit(`button[value="allow"]`, "wrong-org")
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
func browserExpired(t *testing.T, b *tab) {
	s := newService(t, 1)
	b.open(s.authenticateURL(), "")
	if status, text := b.submit(`button[value="allow"]`, ""); status != 200 {
		t.Fatalf("the approval landed on %d:\n%s", status, text)
	}
	before, err := s.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Reload())
	if err != nil {
		t.Fatalf("reloading the callback: %v", err)
	}
	text := b.page("expired")
	if resp.Status != 400 || !strings.Contains(text, "expired") || !strings.Contains(text, "Nothing was changed") {
		t.Fatalf("the reloaded callback answered %d:\n%s", resp.Status, text)
	}
	if after, _ := s.vault.Load(t.Context(), integrationName); after.Version != before.Version {
		t.Fatal("a reloaded callback changed the grant")
	}
}

// The accessibility checks themselves: a page with each fault they look
// for is reported for each, so a pass above means the pages have none.
func browserChecksFail(t *testing.T, b *tab) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head></head><body style="background:#fff">
<h1>One</h1><h1>Two</h1><h3>Skipped</h3><p style="color:#999">Grey on white is 2.8:1</p>
<form><input name="nolabel" type="text"><input type="hidden" name="fine"><button></button></form></body></html>`)
	}))
	t.Cleanup(bad.Close)
	b.do(chromedp.Navigate(bad.URL))
	got := strings.Join(b.problems(), "\n")
	for _, want := range []string{"no lang", "2 h1 elements", "no <title>", "nolabel has no label", "button has no text",
		`for "Grey on white`, `"Skipped" skips from h1 to h3`, "no <meta name=\"viewport\""} {
		if !strings.Contains(got, want) {
			t.Errorf("the checks missed %q; they reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fine") || strings.Contains(got, `"One"`) {
		t.Errorf("the checks reported what is fine:\n%s", got)
	}
}

// startBrowser starts the one headless Chromium of TestBrowser; it stops
// when the test (all its cases) ends. A missing Chromium fails the test:
// .ci/run installs it, so a skip here would only hide a broken CI image.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium and found none on PATH (%v): install it with `apt-get install chromium` "+
			"(Debian's package; .ci/run installs it)", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// Tests run as root in containers, where Chromium's sandbox cannot start.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// The simulated login host's certificate comes from the simulator's
		// own CA, which the browser's store does not hold.
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Starting the browser now makes a failure to start this test's, with
	// Chromium's own words, rather than every case's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v; reinstall it with `apt-get install chromium`", path, err)
	}
	return ctx
}

// tab is one case's private browser window and where its screenshots go.
type tab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	name string
}

func newTab(t *testing.T, browser context.Context) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// A case that hangs (a page that never loads) fails in this time,
	// rather than at the package's timeout with no word of which page.
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)
	b := &tab{t: t, ctx: ctx, dir: artifactDir(t), name: regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")}
	b.do(chromedp.EmulateViewport(1280, 900))
	return b
}

// artifactDir is where screenshots are written: $SFCDC_TEST_ARTIFACTS/onboard
// when set (CI keeps that folder), else the test's temporary folder.
func artifactDir(t *testing.T) string {
	root := os.Getenv("SFCDC_TEST_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, "onboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the artifacts folder named by SFCDC_TEST_ARTIFACTS: %v", err)
	}
	return dir
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("in the browser: %v", err)
	}
}

// open navigates to url and waits for Salesforce's approval page (the
// authenticate link redirects there); shot names its screenshot ("" for
// none).
func (b *tab) open(url, shot string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(url))
	if err != nil {
		b.t.Fatalf("opening %s: %v", url, err)
	}
	text := b.page(shot)
	if resp.Status != 200 || !strings.Contains(text, "Allow Access?") {
		b.t.Fatalf("the authenticate link led to %d %s, not Salesforce's approval page:\n%s", resp.Status, resp.URL, text)
	}
}

// submit clicks the button and waits for the page the form leads to
// (through Salesforce's redirect to the callback); it returns that page's
// HTTP status and text.
func (b *tab) submit(button, shot string) (int, string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.t.Fatalf("clicking %s: %v", button, err)
	}
	return int(resp.Status), b.page(shot)
}

// page checks the loaded page's accessibility, photographs it when shot is
// set, and returns its text.
func (b *tab) page(shot string) string {
	b.t.Helper()
	b.accessible()
	if shot != "" {
		b.screenshot(shot)
	}
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatalf("reading the page: %v", err)
	}
	return text
}

func (b *tab) screenshot(shot string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", shot, err)
	}
	path := filepath.Join(b.dir, b.name+"-"+shot+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// phone shows the current page at a phone's viewport (390×844 CSS pixels,
// a current iPhone's), checks that nothing is wider than the screen (no
// sideways scrolling) and photographs it.
func (b *tab) phone(shot string) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(3)))
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if wide > 0 {
		b.t.Errorf("at 390×844 the page is %d px wider than the screen (it scrolls sideways)", wide)
	}
	b.screenshot(shot + "-390x844")
	b.do(chromedp.EmulateViewport(1280, 900))
}

// accessible fails the test with every accessibility problem of the loaded
// page that the browser can measure: the document's language, one h1,
// headings that skip no level, a title, a viewport for phones, a label for
// each form control and text on each button, and WCAG 2's contrast (AA,
// 4.5:1) for every piece of visible text against the colour it is drawn on.
func (b *tab) accessible() {
	b.t.Helper()
	if problems := b.problems(); len(problems) > 0 {
		url, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Errorf("%s is not accessible:\n  %s", url, strings.Join(problems, "\n  "))
	}
}

// problems runs accessibilityScript on the loaded page.
func (b *tab) problems() []string {
	b.t.Helper()
	problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](accessibilityScript))
	if err != nil {
		b.t.Fatalf("the accessibility checks did not run: %v", err)
	}
	return problems
}

// accessibilityScript returns the page's problems as strings. Contrast is
// computed from the computed styles: a text's colour composited over the
// backgrounds of its ancestors (white under all), WCAG 2's relative
// luminance and ratio. A colour it cannot read is a problem, not a pass.
var accessibilityScript = fmt.Sprintf(`(() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !lang.trim()) problems.push('<html> has no lang attribute');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements; want exactly one');
  if (!document.title.trim()) problems.push('no <title>');
  let level = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const l = Number(h.tagName[1]);
    if (l > level + 1) problems.push('heading "' + h.textContent.trim().slice(0, 40) + '" skips from h' + level + ' to h' + l);
    level = l;
  }
  const viewport = document.querySelector('meta[name="viewport"]');
  if (!viewport || !/width=device-width/.test(viewport.content)) problems.push('no <meta name="viewport" content="width=device-width…">: phones show it zoomed out');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = [...(el.labels || [])].some(l => l.textContent.trim()) ||
      (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('form control ' + (el.name || el.id || el.tagName) + ' has no label');
  }
  for (const el of document.querySelectorAll('button')) {
    if (!el.textContent.trim() && !(el.getAttribute('aria-label') || '').trim()) problems.push('a button has no text');
  }
  const parse = c => {
    const m = /^rgba?\(([^)]*)\)$/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const luminance = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || el.getClientRects().length === 0) continue;
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = {r: 255, g: 255, b: 255, a: 1}, unreadable = null;
    for (const e of chain) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (!c) { unreadable = getComputedStyle(e).backgroundColor; break; }
      if (c.a > 0) bg = over(c, bg);
    }
    const fg = parse(style.color);
    if (!fg || unreadable) { problems.push('cannot read the colours of "' + n.textContent.trim().slice(0, 40) + '": ' + (unreadable || style.color)); continue; }
    const l1 = luminance(over(fg, bg)), l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < %v) problems.push('contrast ' + ratio.toFixed(2) + ':1 (want at least %v:1) for "' + n.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
})()`, minContrast, minContrast)

// minContrast is WCAG 2.x's AA contrast for body text.
const minContrast = 4.5
