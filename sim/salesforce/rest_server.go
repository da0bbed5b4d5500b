package salesforce

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// The REST API and OAuth endpoints follow reference §5. Where the
// reference is unsure the simulator chooses, and says so here:
//
//   - One server is both the login URL and the instance URL; its tokens
//     come from the org's Tokens registry, so Pub/Sub accepts them.
//   - Without registered CallbackURLs any http loopback callback ending in
//     /oauth2/callback is accepted, so a CLI may choose its port.
//   - userinfo and the identity URL answer an invalid token with 403
//     "Bad_OAuth_Token" (text).
//   - A JWT assertion's exp must lie ahead of the org's clock (with one
//     second of grace); no upper bound is enforced, as clients send up to
//     five minutes.
//   - Collections retrieve of more than 2,000 IDs answers 400
//     EXCEEDED_ID_LIMIT; missing ids or fields answer 400 MISSING_ARGUMENT.
//   - Query locators: at most 10 open per org (the oldest is released), 15
//     minutes idle lifetime, INVALID_QUERY_LOCATOR afterwards. A locator is a
//     snapshot of the matching rows taken when the query ran.
//   - SOQL refuses, as Salesforce does, AND mixed with OR without
//     parentheses, filters and sorts on long text areas, quoted date-time
//     literals and malformed IDs; string comparisons ignore case.
//   - The daily API allocation is counted in hourly buckets over a rolling
//     24 hours; only authenticated calls count.
//   - OAuth (oauth_*.go): a rotated-out refresh token sent to the revoke
//     endpoint revokes nothing (400 invalid_token); eviction beyond five
//     approvals takes the oldest by approval time; the idle timeout is
//     extended by REST, identity and Pub/Sub calls, not by an open
//     stream's deliveries; a refresh whose client goes away while in
//     flight completes (with rotation, the token the client holds is
//     spent).

// RESTConfig says how the REST API and OAuth endpoints listen and what the
// org allows. The zero value listens on a free loopback port with the
// default API allocation and a generated connected app.
type RESTConfig struct {
	// Addr to listen on; "127.0.0.1:0" when empty.
	Addr string
	// DailyAPILimit is the 24-hour API request allocation
	// (DefaultDailyAPILimit when 0). Calls beyond it get 403
	// REQUEST_LIMIT_EXCEEDED.
	DailyAPILimit int
	// App is the connected app OAuth clients authenticate as.
	App ConnectedApp
	// Bulk sets the Bulk API 2.0 query jobs' timing and allocations.
	Bulk BulkConfig
	// StandardLongTextShrinksPages caps query pages at 200 rows when two
	// or more long text areas are selected, standard ones (EmailMessage
	// bodies, Description) included. Salesforce documents the cap for
	// custom long text fields only, which is what the default applies.
	StandardLongTextShrinksPages bool
}

// RESTServer is the running REST API and OAuth endpoint of a simulated
// org. It is both the login URL and the instance URL.
type RESTServer struct {
	http *http.Server
	lis  net.Listener
	url  string
	svc  *restService
	done chan struct{}
	// view: one org's side of a World's shared server (see Close).
	view bool
}

// restService holds what the handlers serve from.
type restService struct {
	org     *Org
	tokens  *Tokens
	clock   Clock
	faults  *RESTFaults
	budget  *apiBudget
	baseURL string
	app     ConnectedApp
	cursors *cursorStore
	// login is the login service's OAuth state, shared by a World's orgs.
	login  *grantStore
	issued issueCounts
	// refresh holds the refresh endpoint's runtime settings.
	refresh refreshSettings
	bulk    *bulkStore
	// standardLongText: standard long text areas shrink query pages too.
	standardLongText bool
	// handler is routes() for a World's shared server, which picks the
	// org and then serves from its handler; built at the org's first
	// request (handlerOnce), so an org nobody calls costs no router.
	handlerOnce sync.Once
	handler     http.Handler
}

// lazyHandler is routes(), built once, at the first call.
func (s *restService) lazyHandler() http.Handler {
	s.handlerOnce.Do(func() { s.handler = s.routes() })
	return s.handler
}

// startREST listens and serves until Close. tlsCfg nil serves plaintext.
func startREST(org *Org, tokens *Tokens, faults *RESTFaults, cfg RESTConfig, tlsCfg *tls.Config) (*RESTServer, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	// The app is checked before listening, so a bad one fails at once.
	if _, err := cfg.App.withDefaults(org); err != nil {
		return nil, err
	}
	// Without TLS the REST API (OAuth included) is plaintext: loopback only.
	lis, err := listen(cfg.Addr, tlsCfg == nil)
	if errors.Is(err, ErrPlaintextOffLoopback) {
		return nil, fmt.Errorf("serve the REST API in plaintext: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (choose another REST address)", cfg.Addr, err)
	}
	lis, scheme := restTLS(lis, tlsCfg)
	svc, err := newRESTService(org, tokens, faults, cfg, scheme+"://"+lis.Addr().String(), newGrantStore(org.Clock()))
	if err != nil {
		_ = lis.Close()
		return nil, err
	}
	return serveREST(lis, svc.routes(), svc), nil
}

// restTLS wraps lis in TLS (HTTP/2 and HTTP/1.1) unless tlsCfg is nil,
// and names the scheme its URLs take.
func restTLS(lis net.Listener, tlsCfg *tls.Config) (net.Listener, string) {
	if tlsCfg == nil {
		return lis, "http"
	}
	tlsCfg = tlsCfg.Clone()
	tlsCfg.NextProtos = []string{"h2", "http/1.1"}
	return tls.NewListener(lis, tlsCfg), "https"
}

// newRESTService is what one org's handlers serve from; baseURL is the
// org's instance URL, login the login service's OAuth state (the org's
// own, or its World's). It starts no goroutine, so an org costs memory only.
func newRESTService(org *Org, tokens *Tokens, faults *RESTFaults, cfg RESTConfig, baseURL string, login *grantStore) (*restService, error) {
	app, err := cfg.App.withDefaults(org)
	if err != nil {
		return nil, err
	}
	svc := &restService{
		org: org, tokens: tokens, clock: org.Clock(), faults: faults,
		budget:  newAPIBudget(org.Clock(), cfg.DailyAPILimit),
		baseURL: baseURL,
		app:     app,
		cursors: newCursorStore(org.Clock()),
		bulk:    newBulkStore(org, cfg.Bulk),

		standardLongText: cfg.StandardLongTextShrinksPages,
	}
	svc.refresh.rotate.Store(app.RotateRefreshTokens)
	svc.refresh.policy = app.RefreshTokenPolicy
	svc.refresh.allowlist = app.RefreshTokenIPAllowlist
	svc.useLogin(login)
	return svc, nil
}

// useLogin makes login the service's OAuth state and its user known there.
func (s *restService) useLogin(login *grantStore) {
	s.login = login
	login.addUser(s.app.Username, s)
}

// serveREST serves handler on lis until Close; svc is the org the
// server's methods (App, APIUsage, …) speak of.
func serveREST(lis net.Listener, handler http.Handler, svc *restService) *RESTServer {
	s := &RESTServer{lis: lis, url: svc.baseURL, svc: svc, done: make(chan struct{})}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed under the server: nothing left to serve
		}
	}()
	return s
}

// URL is the server's base URL (https://127.0.0.1:port): the login URL,
// the token endpoint's host and the org's instance URL.
func (s *RESTServer) URL() string { return s.url }

// App is the connected app as served, generated values filled in.
func (s *RESTServer) App() ConnectedApp {
	app := s.svc.app
	app.RotateRefreshTokens = s.svc.refresh.rotate.Load()
	app.RefreshTokenPolicy = s.svc.refresh.currentPolicy()
	s.svc.refresh.mu.Lock()
	app.RefreshTokenIPAllowlist = slices.Clone(s.svc.refresh.allowlist)
	s.svc.refresh.mu.Unlock()
	return app
}

// APIUsage returns the API requests counted in the last 24 hours and the
// allocation, as Sforce-Limit-Info reports them.
func (s *RESTServer) APIUsage() (used, limit int) { return s.svc.budget.usage() }

// SetDailyAPILimit changes the allocation; calls beyond it fail from now on.
func (s *RESTServer) SetDailyAPILimit(limit int) { s.svc.budget.setLimit(limit) }

// GrantCounts returns how many tokens each grant type issued
// (authorization_code, refresh_token, jwt-bearer, client_credentials).
func (s *RESTServer) GrantCounts() map[string]int { return s.svc.issued.counts() }

// FailNextBulkJobs makes the next n Bulk API 2.0 query jobs created end
// Failed instead of JobComplete, with message as their errorMessage (none
// when empty, as Salesforce sometimes leaves it out).
func (s *RESTServer) FailNextBulkJobs(n int, message string) { s.svc.bulk.failNext(n, message) }

// ExpireBulkJobs deletes every query job and its results, as seven days
// of retention would: each answers 404 from now on.
func (s *RESTServer) ExpireBulkJobs() { s.svc.bulk.expireAll() }

// BulkUsage returns the query jobs created and the result KB stored in
// the last 24 hours.
func (s *RESTServer) BulkUsage() (jobs int, storedKB int64) { return s.svc.bulk.usage() }

// Close stops the server and waits for it. The view of one org of a
// World (World.Orgs[i].REST) closes nothing: the World owns the server.
func (s *RESTServer) Close() {
	if s.view {
		return
	}
	_ = s.http.Close()
	<-s.done
}

func (s *restService) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /services/data/{$}", s.versions)
	s.apiRoutes(mux)
	s.oauthRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
	})
	return s.withLatency(s.withOrgDate(mux))
}

// withOrgDate stamps every answer's Date header with the org's clock, as
// Salesforce's servers stamp theirs: clients read Salesforce's time from
// it, and a test that moves the org's clock must see it there too (the
// HTTP server would otherwise stamp this host's time).
func (s *restService) withOrgDate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.clock.Now().UTC().Format(http.TimeFormat))
		h.ServeHTTP(w, r)
	})
}

func (s *restService) apiRoutes(mux *http.ServeMux) {
	const base = "/services/data/{version}"
	mux.HandleFunc("GET "+base+"/query", s.api(s.query(false)))
	mux.HandleFunc("GET "+base+"/queryAll", s.api(s.query(true)))
	mux.HandleFunc("GET "+base+"/query/{locator}", s.api(s.queryMore))
	mux.HandleFunc("GET "+base+"/queryAll/{locator}", s.api(s.queryMore))
	mux.HandleFunc("GET "+base+"/sobjects", s.api(s.describeGlobal))
	mux.HandleFunc("GET "+base+"/sobjects/{$}", s.api(s.describeGlobal))
	mux.HandleFunc("GET "+base+"/sobjects/{object}/describe", s.api(s.describe))
	mux.HandleFunc("GET "+base+"/sobjects/{object}/describe/{$}", s.api(s.describe))
	mux.HandleFunc("GET "+base+"/sobjects/{object}/{id}", s.api(s.retrieve))
	mux.HandleFunc("POST "+base+"/sobjects/{object}", s.api(s.createRecord))
	mux.HandleFunc("POST "+base+"/sobjects/{object}/{$}", s.api(s.createRecord))
	mux.HandleFunc("PATCH "+base+"/sobjects/{object}/{id}", s.api(s.updateRecord))
	mux.HandleFunc("DELETE "+base+"/sobjects/{object}/{id}", s.api(s.deleteRecord))
	mux.HandleFunc("GET "+base+"/composite/sobjects/{object}", s.api(s.collectionsRetrieve))
	mux.HandleFunc("POST "+base+"/composite/sobjects/{object}", s.api(s.collectionsRetrieve))
	mux.HandleFunc("GET "+base+"/limits", s.api(s.limits))
	mux.HandleFunc("GET "+base+"/limits/{$}", s.api(s.limits))
	s.bulkRoutes(mux, base)
	mux.HandleFunc(base+"/", s.api(func(w http.ResponseWriter, _ *http.Request, _ string) {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
	}))
}

// withLatency delays every response by the configured fault latency.
func (s *restService) withLatency(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.faults.latency(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// apiVersionPattern matches the version segment, e.g. v62.0.
var apiVersionPattern = regexp.MustCompile(`^v([2-9][0-9])\.0$`)

// api wraps an API resource: a known version, a valid session, the daily
// allocation, then injected server errors. Every answered call carries
// Sforce-Limit-Info; every authenticated call counts toward the limit.
func (s *restService) api(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		version := r.PathValue("version")
		if !apiVersionPattern.MatchString(version) {
			writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
			return
		}
		if !s.tokens.Use(bearerToken(r)) {
			w.Header().Set("Sforce-Limit-Info", s.budget.limitInfo())
			w.Header().Set("WWW-Authenticate", `Token`)
			writeRESTError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", msgSessionInvalid)
			return
		}
		allowed := s.budget.take()
		w.Header().Set("Sforce-Limit-Info", s.budget.limitInfo())
		if !allowed {
			writeRESTError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", msgLimitExceeded)
			return
		}
		if status, fail := s.faults.takeServerError(); fail {
			writeRESTError(w, status, "SERVER_UNAVAILABLE", msgServerUnavailable)
			return
		}
		h(w, r, version)
	}
}

// bearerToken reads "Authorization: Bearer <token>" (or the older "OAuth
// <token>" form Salesforce also accepts).
func bearerToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if len(auth) > len(scheme) && strings.EqualFold(auth[:len(scheme)], scheme) {
			return strings.TrimSpace(auth[len(scheme):])
		}
	}
	return ""
}

// versions answers GET /services/data/: the API versions served. It needs
// no session and, as in Salesforce, carries no Sforce-Limit-Info.
func (s *restService) versions(w http.ResponseWriter, _ *http.Request) {
	type version struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	var out []version
	for v := 60; v <= 66; v++ {
		out = append(out, version{Label: fmt.Sprintf("v%d.0", v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, http.StatusOK, out)
}
