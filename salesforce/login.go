package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Login runs the web-server flow once, the way Communications Mining's own
// Salesforce integration does: the person opens the authorize URL, approves
// the app, Salesforce redirects the browser to the local callback with a
// code, and the code (with the PKCE verifier) is exchanged for a refresh
// token, which is stored. The state parameter is random and checked, so a
// callback that this login did not start is refused.
type Login struct {
	cfg      Config
	oauth    *oauth2.Config
	store    TokenStore
	http     *http.Client
	policy   hostPolicy
	log      *slog.Logger
	state    string
	verifier string // "" when PKCE is off
}

// NewLogin prepares a login; cfg.Flow must be web_server.
func NewLogin(cfg Config, store TokenStore) (*Login, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Flow != FlowWebServer {
		return nil, fmt.Errorf("%w: `auth login` is for the web_server flow; %s needs no login", ErrInvalidConfig, cfg.Flow)
	}
	if store == nil {
		return nil, fmt.Errorf("%w: the web_server flow needs a token store", ErrInvalidConfig)
	}
	hc, err := newHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	l := &Login{cfg: cfg, oauth: webServerOAuth2(cfg), store: store, http: hc, policy: newHostPolicy(cfg.LoginURL, cfg.TrustedHosts), log: cfg.Logger}
	l.state = randomString(24)
	if !cfg.DisablePKCE {
		l.verifier = oauth2.GenerateVerifier()
	}
	return l, nil
}

func randomString(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// AuthorizeURL is the page the person opens to approve the app.
func (l *Login) AuthorizeURL() string {
	var opts []oauth2.AuthCodeOption
	if l.verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(l.verifier))
	}
	return l.oauth.AuthCodeURL(l.state, opts...)
}

// RedirectURL is the local callback Salesforce sends the browser to.
func (l *Login) RedirectURL() string { return l.oauth.RedirectURL }

// Run serves the callback on localhost:<callback_port>, calls announce
// with the authorize URL once it listens, and returns when a login
// finished (stored) or failed, or ctx ends. Callbacks with a wrong state
// are answered with an explanation and do not end the wait.
func (l *Login) Run(ctx context.Context, announce func(authorizeURL string)) (Identity, error) {
	listeners, err := listenCallback(l.cfg.CallbackPort)
	if err != nil {
		return Identity{}, err
	}
	results := make(chan loginResult, 1)
	srv := &http.Server{Handler: l.callbackHandler(ctx, results), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, lis := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Serve(lis) // ends with ErrServerClosed at Shutdown
		}()
	}
	defer wg.Wait()
	defer shutdown(srv)
	announce(l.AuthorizeURL())
	select {
	case r := <-results:
		return r.identity, r.err
	case <-ctx.Done():
		return Identity{}, fmt.Errorf("wait for the Salesforce login: %w", ctx.Err())
	}
}

// shutdown lets the last page finish writing, then closes the server.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

// listenCallback listens on the loopback addresses "localhost" may resolve
// to: 127.0.0.1 always, ::1 when available, on the same port.
func listenCallback(port int) ([]net.Listener, error) {
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the OAuth callback on port %d: %w (set salesforce.auth.callback_port to a free port registered in the connected app)", port, err)
	}
	out := []net.Listener{v4}
	actual := v4.Addr().(*net.TCPAddr).Port
	if v6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(actual))); err == nil {
		out = append(out, v6)
	}
	return out, nil
}

type loginResult struct {
	identity Identity
	err      error
}

// callbackHandler serves /oauth2/callback; the first callback with the
// right state decides the login's outcome.
func (l *Login) callbackHandler(ctx context.Context, results chan<- loginResult) http.Handler {
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1 {
			l.log.Warn("refused an OAuth callback with a wrong state")
			writePage(w, http.StatusBadRequest, pageWrongState, nil)
			return
		}
		handled := false
		once.Do(func() {
			handled = true
			id, err := l.complete(ctx, q.Get("code"), q.Get("error"), q.Get("error_description"))
			writeOutcomePage(w, id, err, l.store)
			results <- loginResult{identity: id, err: err}
		})
		if !handled {
			writePage(w, http.StatusConflict, pageAlreadyDone, nil)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	return mux
}

// complete exchanges the code and stores the refresh token.
func (l *Login) complete(ctx context.Context, code, errCode, errDescription string) (Identity, error) {
	if errCode != "" {
		return Identity{}, fmt.Errorf("log in to Salesforce: %w", &OAuthError{StatusCode: http.StatusOK, Code: printable(errCode, 100), Description: printable(errDescription, 500)})
	}
	if code == "" {
		return Identity{}, errors.New("log in to Salesforce: the callback carried no code")
	}
	return l.Exchange(ctx, code)
}

// Exchange trades an authorization code for tokens, checks the identity,
// and stores the refresh token.
func (l *Login) Exchange(ctx context.Context, code string) (Identity, error) {
	var opts []oauth2.AuthCodeOption
	if l.verifier != "" {
		opts = append(opts, oauth2.VerifierOption(l.verifier))
	}
	tok, err := l.oauth.Exchange(withHTTPClient(ctx, l.http), code, opts...)
	if err != nil {
		return Identity{}, tokenRequestError("exchange the authorization code", err)
	}
	resp, err := tokenFromOAuth2(tok)
	if err != nil {
		return Identity{}, err
	}
	if resp.RefreshToken == "" {
		return Identity{}, fmt.Errorf("log in to Salesforce: no refresh token was issued; give the connected app the scope \"Perform requests at any time (refresh_token, offline_access)\" and keep refresh_token in salesforce.auth.scopes")
	}
	id, err := l.identify(ctx, resp)
	if err != nil {
		return Identity{}, err
	}
	stored := StoredToken{
		Flow: FlowWebServer, LoginURL: l.cfg.LoginURL, ClientID: l.cfg.ClientID, RefreshToken: resp.RefreshToken,
		InstanceURL: id.InstanceURL, OrgID: id.OrgID, UserID: id.UserID, Username: id.Username, SavedAt: l.cfg.Clock.Now().UTC(),
	}
	if err := l.store.Save(ctx, stored); err != nil {
		return Identity{}, fmt.Errorf("log in to Salesforce: %w", err)
	}
	l.log.Info("Salesforce login stored", "org", id.OrgID, "user", id.Username, "instance", id.InstanceURL, "store", l.store.String())
	return id, nil
}

// identify checks the instance URL and asks userinfo who logged in.
func (l *Login) identify(ctx context.Context, resp tokenResponse) (Identity, error) {
	instance, err := l.policy.checkInstanceURL(resp.InstanceURL)
	if err != nil {
		return Identity{}, fmt.Errorf("log in to Salesforce: %w", err)
	}
	probe := &Credentials{cfg: l.cfg, http: l.http, log: l.log}
	info, err := probe.userinfo(ctx, &session{token: resp.AccessToken, instanceURL: instance})
	if err != nil {
		return Identity{}, fmt.Errorf("log in to Salesforce: %w", err)
	}
	return Identity{Flow: FlowWebServer, LoginURL: l.cfg.LoginURL, InstanceURL: instance, OrgID: info.OrganizationID, UserID: info.UserID, Username: info.PreferredUsername}, nil
}

// String describes the login without any secret.
func (l *Login) String() string {
	return fmt.Sprintf("salesforce.Login{login %s, callback %s}", l.cfg.LoginURL, l.RedirectURL())
}

// GoString keeps %#v from printing internals.
func (l *Login) GoString() string { return l.String() }
