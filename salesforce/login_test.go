package salesforce_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// loginRun is a Login running in the background, as `sfcdc auth login` runs it.
type loginRun struct {
	authorizeURL string
	done         chan struct{}
	identity     salesforce.Identity
	err          error
}

func startLogin(t *testing.T, cfg salesforce.Config, store salesforce.TokenStore) *loginRun {
	t.Helper()
	login, err := salesforce.NewLogin(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	run := &loginRun{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		defer close(run.done)
		run.identity, run.err = login.Run(ctx, func(u string) { urls <- u })
	}()
	t.Cleanup(func() { cancel(); <-run.done })
	select {
	case run.authorizeURL = <-urls:
	case <-run.done:
		t.Fatalf("login ended before listening: %v", run.err)
	}
	return run
}

func (r *loginRun) wait(t *testing.T) {
	t.Helper()
	<-r.done
}

func webConfig(s *sfsim.Sim, t *testing.T) salesforce.Config {
	cfg := baseConfig(s, salesforce.FlowWebServer, nil)
	cfg.CallbackPort = freePort(t)
	return cfg
}

func TestTheWebServerFlowStoresARefreshTokenAfterThePersonAllowsAccess(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{RequirePKCE: true}})
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "sfcdc", "token.json")}
	run := startLogin(t, webConfig(s, t), store)
	if u, _ := url.Parse(run.authorizeURL); u.Query().Get("code_challenge") == "" || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize URL without an S256 PKCE challenge: %s", run.authorizeURL)
	}
	b := browser(t, s.PubSub.CAFile())
	approval := get(t, b, run.authorizeURL)
	if !strings.Contains(approval.body, "Allow Access?") {
		t.Fatalf("the authorize endpoint did not show the approval page: %s", approval.body)
	}
	final := submit(t, b, approval, "allow")
	run.wait(t)
	if run.err != nil {
		t.Fatalf("login failed: %v", run.err)
	}
	if final.status != 200 || !strings.Contains(final.body, "sfcdc is connected to Salesforce") || !strings.Contains(final.body, "sfcdc auth status") {
		t.Fatalf("the callback page does not say what happened and what next: %d %s", final.status, final.body)
	}
	stored, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stored.OrgID != s.Org.ID() || stored.InstanceURL != s.InstanceURL || stored.RefreshToken == "" || run.identity.Username != s.REST.App().Username {
		t.Fatalf("stored %+v, identity %+v", stored, run.identity)
	}
	if info, _ := os.Stat(store.Path); info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %04o, want 0600", info.Mode().Perm())
	}
	if n := s.REST.GrantCounts()[sfsim.GrantAuthorizationCode]; n != 1 {
		t.Fatalf("%d code exchanges, want 1", n)
	}
}

func TestACallbackWithAWrongStateIsRefusedAndTheLoginKeepsWaiting(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{AutoApprove: true}})
	cfg := webConfig(s, t)
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	run := startLogin(t, cfg, store)
	b := browser(t, s.PubSub.CAFile())

	forged := get(t, b, "http://localhost:"+itoa(cfg.CallbackPort)+"/oauth2/callback?code=stolen&state=guessed")
	if forged.status != 400 || !strings.Contains(forged.body, "state") {
		t.Fatalf("a forged callback got %d: %s", forged.status, forged.body)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantAuthorizationCode]; n != 0 {
		t.Fatal("a callback with a wrong state was exchanged")
	}
	select {
	case <-run.done:
		t.Fatalf("the login ended on a forged callback: %v", run.err)
	default:
	}
	final := get(t, b, run.authorizeURL) // auto-approved: straight to the callback
	run.wait(t)
	if run.err != nil || final.status != 200 {
		t.Fatalf("the real callback failed after a forged one: %v (%d)", run.err, final.status)
	}
}

func TestTheSimulatorRefusesACodeRedeemedWithAnotherVerifier(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{AutoApprove: true}})
	cfg := webConfig(s, t)
	first, err := salesforce.NewLogin(cfg, salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "a.json")})
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t, s.PubSub.CAFile())
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := b.Get(first.AuthorizeURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", loc)
	}
	second, err := salesforce.NewLogin(cfg, salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "b.json")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = second.Exchange(t.Context(), code) // a different PKCE verifier
	if !errors.Is(err, salesforce.ErrInvalidGrant) || !strings.Contains(err.Error(), "code verifier") {
		t.Fatalf("got %v, want invalid_grant for the wrong code verifier", err)
	}
}

func TestAnAppRequiringPKCERefusesALoginWithoutIt(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{RequirePKCE: true, AutoApprove: true}})
	cfg := webConfig(s, t)
	cfg.DisablePKCE = true
	run := startLogin(t, cfg, salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")})
	final := get(t, browser(t, s.PubSub.CAFile()), run.authorizeURL)
	run.wait(t)
	if run.err == nil || !strings.Contains(run.err.Error(), "code challenge") {
		t.Fatalf("got %v, want the missing code challenge reported", run.err)
	}
	if !strings.Contains(final.body, "could not be completed") && !strings.Contains(final.body, "did not grant access") {
		t.Fatalf("the callback page does not explain the failure: %s", final.body)
	}
}

func TestDenyingAccessStoresNothingAndSaysWhatToDo(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	run := startLogin(t, webConfig(s, t), store)
	b := browser(t, s.PubSub.CAFile())
	final := submit(t, b, get(t, b, run.authorizeURL), "deny")
	run.wait(t)
	if !strings.Contains(final.body, "sfcdc auth login") || final.status != 403 {
		t.Fatalf("denial page %d: %s", final.status, final.body)
	}
	if _, err := store.Load(t.Context()); !errors.Is(err, salesforce.ErrNoStoredToken) {
		t.Fatalf("something was stored after a denial: %v", err)
	}
	if run.err == nil {
		t.Fatal("the login reported success after a denial")
	}
}

func TestSessionsFromTheStoredRefreshTokenReachTheOrg(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{AutoApprove: true}})
	cfg := webConfig(s, t)
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	run := startLogin(t, cfg, store)
	get(t, browser(t, s.PubSub.CAFile()), run.authorizeURL)
	run.wait(t)
	creds, err := salesforce.NewCredentials(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	id, err := creds.Identity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if id.OrgID != s.Org.ID() || id.Flow != salesforce.FlowWebServer || id.InstanceURL != s.InstanceURL {
		t.Fatalf("identity %+v", id)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantRefreshToken]; n != 1 {
		t.Fatalf("%d refresh grants, want 1", n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
