package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Start starts the one headless Chromium of a test; it stops when the test
// (all its cases) ends. Starting Chromium costs far more than a case, so
// the cases share it, each in a Tab of its own.
func Start(t *testing.T) context.Context {
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

// Tab is one case's private browser window and where its screenshots go.
type Tab struct {
	T   *testing.T
	Ctx context.Context
	dir string
	// name starts each screenshot's file name: the test's name.
	name string
}

// NewTab opens a private window of browser for t, at a desktop's 1280×900;
// its screenshots go under $SFCDC_TEST_ARTIFACTS/folder.
func NewTab(t *testing.T, browser context.Context, folder string) *Tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// A case that hangs (a page that never loads) fails in this time,
	// rather than at the package's timeout with no word of which page.
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)
	b := &Tab{T: t, Ctx: ctx, dir: artifactDir(t, folder), name: regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")}
	b.Do(chromedp.EmulateViewport(1280, 900))
	return b
}

// artifactDir is where screenshots are written: $SFCDC_TEST_ARTIFACTS/folder
// when set (CI keeps that folder), else the test's temporary folder.
func artifactDir(t *testing.T, folder string) string {
	root := os.Getenv("SFCDC_TEST_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the artifacts folder named by SFCDC_TEST_ARTIFACTS: %v", err)
	}
	return dir
}

// Do runs the actions in the window, failing the test on an error.
func (b *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.T.Fatalf("in the browser: %v", err)
	}
}

// Header sends the header with every request of the window from now on
// (an Authorization the pages need, say).
func (b *Tab) Header(name, value string) {
	b.T.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{name: value}})
		return err
	}))
}

// Open navigates to url and returns the answer's HTTP status and the page
// (checked as Page does).
func (b *Tab) Open(url, shot string) (int, string) {
	b.T.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Navigate(url))
	if err != nil {
		b.T.Fatalf("opening %s: %v", url, err)
	}
	return int(resp.Status), b.Page(shot)
}

// Page checks the loaded page's accessibility, photographs it when shot is
// set, and returns its text.
func (b *Tab) Page(shot string) string {
	b.T.Helper()
	b.Accessible()
	if shot != "" {
		b.Screenshot(shot)
	}
	text, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.T.Fatalf("reading the page: %v", err)
	}
	return text
}

// Screenshot writes the whole page as <test name>-<shot>.png.
func (b *Tab) Screenshot(shot string) {
	b.T.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.T.Fatalf("screenshot %s: %v", shot, err)
	}
	path := filepath.Join(b.dir, b.name+"-"+shot+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.T.Fatal(err)
	}
	b.T.Logf("screenshot: %s", path)
}

// phoneWidth is the phone's screen width in CSS pixels.
const phoneWidth = 390

// Phone shows the current page at a phone's viewport (390×844 CSS pixels,
// a current iPhone's), checks that nothing is wider than the screen (no
// sideways scrolling of the page; a table may scroll inside its own
// container) and photographs it, then goes back to the desktop's viewport.
func (b *Tab) Phone(shot string) {
	b.T.Helper()
	b.Do(chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(3)))
	// Against the screen's width, not window.innerWidth: a phone zooms out
	// to show a page wider than its screen, and innerWidth grows with it.
	wide, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.documentElement.scrollWidth - %d`, phoneWidth)))
	if err != nil {
		b.T.Fatal(err)
	}
	if wide > 0 {
		b.T.Errorf("at 390×844 the page is %d px wider than the screen (it scrolls sideways)", wide)
	}
	b.Screenshot(shot + "-390x844")
	b.Do(chromedp.EmulateViewport(1280, 900))
}

// Accessible fails the test with every accessibility problem of the loaded
// page (see Problems).
func (b *Tab) Accessible() {
	b.T.Helper()
	if problems := b.Problems(); len(problems) > 0 {
		url, _ := chromedp.Run(b.Ctx, chromedp.Location())
		b.T.Errorf("%s is not accessible:\n  %s", url, strings.Join(problems, "\n  "))
	}
}

// Problems are the loaded page's accessibility problems that the browser
// can measure, one a string.
func (b *Tab) Problems() []string {
	b.T.Helper()
	problems, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](accessibilityScript))
	if err != nil {
		b.T.Fatalf("the accessibility checks did not run: %v", err)
	}
	return problems
}

// AnswerLogins answers every HTTP authentication prompt of the window
// from now on as a person would: with user and password, or, when both are
// empty, by dismissing it (the browser then shows the 401 page).
// Headless Chromium shows no prompt: without an answer it fails the load
// (net::ERR_INVALID_AUTH_CREDENTIALS), which is no page to check.
func (b *Tab) AnswerLogins(user, password string) {
	b.T.Helper()
	answer := &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth}
	if user != "" || password != "" {
		answer = &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: user, Password: password}
	}
	ctx := b.Ctx
	// The listener runs on the connection's reader: it must not wait for
	// an answer itself, so each reply is sent from a goroutine of its own.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			go func() {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			}()
		case *fetch.EventAuthRequired:
			go func() {
				_, _ = chromedp.Call(ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: answer})
			}()
		}
	})
	if err != nil {
		b.T.Fatalf("listening to the browser: %v", err)
	}
	on := true
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{HandleAuthRequests: &on}); err != nil {
		b.T.Fatalf("intercepting the browser's logins: %v", err)
	}
}
