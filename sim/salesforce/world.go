package salesforce

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// A World is many simulated orgs behind shared endpoints, as Salesforce
// serves them: one Pub/Sub endpoint that tells orgs apart by the tenantid
// metadata (api.pubsub.salesforce.com), one login host, and one instance
// URL per org.
//
// Instance URLs: org i (0-based) is https://127.0.0.<1+i>:PORT (the
// address 127.0.0.1 plus i, so 127.0.1.0 follows 127.0.0.255), every org on
// the same port of ONE listener; the REST handler picks the org by the
// local address the client connected to. Distinct host names are what real
// instance URLs differ by, and the project's REST client refuses an
// instance URL with a path (salesforce.checkInstanceURL: a token must not
// travel to a path the login host did not name), so per-org paths under one
// host were not an option; host names other than localhost do not resolve
// on loopback without /etc/hosts. Every address of 127.0.0.0/8 is local on
// Linux, and one socket bound to 0.0.0.0 with SO_BINDTODEVICE "lo" accepts
// them all while no other machine can reach it, so a thousand orgs cost one
// listener and one accept goroutine. Clients need the instance hosts in
// salesforce.auth.trusted_hosts (an IP literal is trusted only exactly, see
// the salesforce package); the CA's server certificate names every
// instance address. A World of one org listens on 127.0.0.1 like Start and
// runs on any system; more orgs need Linux.
//
// The first org's instance URL is also the login host: its token and
// authorize endpoints serve every org, choosing it by client_id (unknown
// IDs get the first org's invalid_client_id answer), userinfo by the org ID
// that starts every access token, and /id/<org>/<user> by its org. Each
// org's own host serves its OAuth endpoints too, as a My Domain does.
//
// Idle orgs cost memory only: an org is its records, bus, session
// registry and handlers, and starts no goroutine; the endpoints' goroutines
// are shared by all orgs.
type World struct {
	// Orgs are the orgs in the order configured. Each is a *Sim whose
	// PubSub and REST are the shared endpoints: their Close (and the
	// Sim's) does nothing; close the World.
	Orgs []*Sim
	// PubSub is the shared Pub/Sub endpoint.
	PubSub *PubSubServer
	// LoginURL is the shared login host (also the first org's instance).
	LoginURL string

	rest    *RESTServer
	login   *grantStore
	byIP    map[netip.Addr]*Sim
	byApp   map[string]*Sim // by connected app client ID
	byID    map[string]*Sim // by 15- and 18-character org ID
	tempDir string
}

// MaxWorldOrgs bounds WorldConfig.Orgs: the instance addresses stay inside
// 127.0.0.0/16, far more orgs than one process should simulate.
const MaxWorldOrgs = 65_000

// WorldConfig configures a World.
type WorldConfig struct {
	// Orgs is how many orgs (at least 1, at most MaxWorldOrgs).
	Orgs int
	// Org configures org i (0-based); nil gives every org Config{} (random
	// IDs). Org IDs must differ.
	Org func(i int) Config
	// PubSub says how the shared Pub/Sub endpoint listens.
	PubSub PubSubConfig
	// REST applies to every org, except that App is the first org's
	// connected app only (the others generate theirs, a client ID per
	// org, with its CallbackURLs, RotateRefreshTokens, RefreshTokenPolicy
	// and AutoApprove). REST.Addr's host must be 127.0.0.1 or empty; its
	// port (0: a free one) is every org's.
	REST RESTConfig
	// Clock and Retention apply to every org, as in SimConfig.
	Clock     Clock
	Retention time.Duration
}

// StartWorld builds the orgs and starts the shared endpoints.
func StartWorld(cfg WorldConfig) (_ *World, err error) {
	if cfg.Orgs < 1 || cfg.Orgs > MaxWorldOrgs {
		return nil, fmt.Errorf("%w: Orgs: %d is not between 1 and %d", ErrInvalidConfig, cfg.Orgs, MaxWorldOrgs)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	port, err := worldPort(cfg.REST.Addr)
	if err != nil {
		return nil, err
	}
	w := &World{byIP: map[netip.Addr]*Sim{}, byApp: map[string]*Sim{}, byID: map[string]*Sim{}, login: newGrantStore(cfg.Clock)}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	ips := make([]net.IP, cfg.Orgs)
	for i := range ips {
		ips[i] = worldOrgIP(i).AsSlice()
	}
	var tlsCfg *tls.Config
	if !cfg.PubSub.Insecure {
		if cfg.PubSub.CAFile, tlsCfg, w.tempDir, err = generateTLS(cfg.PubSub.CAFile, ips[1:]...); err != nil {
			return nil, fmt.Errorf("start simulated world: %w", err)
		}
	}
	lis, err := listenWorld(cfg.Orgs, port)
	if err != nil {
		return nil, fmt.Errorf("start simulated world: listen for the REST API on port %s: %w", port, err)
	}
	lis, scheme := restTLS(lis, tlsCfg)
	_, boundPort, _ := net.SplitHostPort(lis.Addr().String())
	backends := make([]PubSubBackend, cfg.Orgs)
	for i := range cfg.Orgs {
		orgCfg := Config{}
		if cfg.Org != nil {
			orgCfg = cfg.Org(i)
		}
		restCfg := cfg.REST
		if i > 0 {
			first := cfg.REST.App
			restCfg.App = ConnectedApp{CallbackURLs: first.CallbackURLs, RotateRefreshTokens: first.RotateRefreshTokens,
				RefreshTokenPolicy: first.RefreshTokenPolicy, AutoApprove: first.AutoApprove}
		}
		instanceURL := scheme + "://" + net.JoinHostPort(worldOrgIP(i).String(), boundPort)
		s, err := newWorldOrg(orgCfg, restCfg, cfg.Clock, cfg.Retention, instanceURL, w.login)
		if err != nil {
			_ = lis.Close()
			return nil, fmt.Errorf("start simulated world: org %d: %w", i+1, err)
		}
		if _, dup := w.byID[s.Org.ID()[:15]]; dup {
			_ = lis.Close()
			return nil, fmt.Errorf("start simulated world: %w: org %d: org ID %s is another org's", ErrInvalidConfig, i+1, s.Org.ID())
		}
		w.Orgs = append(w.Orgs, s)
		w.byIP[worldOrgIP(i)] = s
		w.byApp[s.REST.svc.app.ClientID] = s
		w.byID[s.Org.ID()], w.byID[s.Org.ID()[:15]] = s, s
		backends[i] = s.Backend()
	}
	w.rest = serveREST(lis, w, w.Orgs[0].REST.svc)
	w.LoginURL = w.Orgs[0].InstanceURL
	if w.PubSub, err = startPubSub(backends, cfg.PubSub, tlsCfg); err != nil {
		return nil, fmt.Errorf("start simulated Pub/Sub API: %w", err)
	}
	for _, s := range w.Orgs {
		s.PubSub, s.LoginURL = w.PubSub, w.LoginURL
		s.REST.http, s.REST.lis, s.REST.done = w.rest.http, w.rest.lis, w.rest.done
	}
	return w, nil
}

// newWorldOrg builds one org of a World: its records, bus, sessions,
// faults and REST handlers, no endpoint and no goroutine.
func newWorldOrg(orgCfg Config, restCfg RESTConfig, clock Clock, retention time.Duration, instanceURL string, login *grantStore) (*Sim, error) {
	bus := NewBus(clock, retention)
	org, err := NewOrg(orgCfg, clock, bus)
	if err != nil {
		return nil, err
	}
	s := &Sim{Org: org, Bus: bus, Tokens: NewTokens(clock, org.ID()), Faults: &Faults{}, RESTFaults: &RESTFaults{}, InstanceURL: instanceURL, view: true}
	svc, err := newRESTService(org, s.Tokens, s.RESTFaults, restCfg, instanceURL, login)
	if err != nil {
		return nil, err
	}
	s.REST = &RESTServer{url: instanceURL, svc: svc, view: true}
	s.AccessToken = s.Tokens.Issue()
	return s, nil
}

// worldPort is the port of a World's REST address, whose host must be
// where the first org's instance is.
func worldPort(addr string) (string, error) {
	if addr == "" {
		return "0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (host != "" && host != "127.0.0.1") {
		return "", fmt.Errorf("%w: REST.Addr %q: a World listens on 127.0.0.1:<port> (and the org addresses after it), give only that", ErrInvalidConfig, addr)
	}
	return port, nil
}

// worldOrgIP is org i's instance address: 127.0.0.1 plus i.
func worldOrgIP(i int) netip.Addr {
	n := uint32(127<<24|1) + uint32(i)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// ServeHTTP routes a REST or OAuth request to its org: by the address the
// client connected to, and on the login host by what names the org.
func (w *World) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	var s *Sim
	if tcp, ok := local.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(tcp.IP); ok {
			s = w.byIP[ip.Unmap()]
		}
	}
	if s == nil {
		writeRESTError(rw, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	if s == w.Orgs[0] {
		var ok bool
		if s, ok = w.loginTarget(rw, r); !ok {
			return
		}
	}
	s.REST.svc.lazyHandler().ServeHTTP(rw, r)
}

// loginTarget is the org a request to the login host is for; requests
// that name no other org are the first org's. A form it cannot read is
// answered here (ok false), as the token endpoint and the approval form
// answer one.
func (w *World) loginTarget(rw http.ResponseWriter, r *http.Request) (_ *Sim, ok bool) {
	first := w.Orgs[0]
	var s *Sim
	switch path := r.URL.Path; {
	case path == "/services/oauth2/token" && r.Method == http.MethodPost:
		if err := r.ParseForm(); err != nil {
			writeOAuthError(rw, http.StatusBadRequest, "invalid_request", "malformed request body")
			return nil, false
		}
		id, _ := clientAuth(r)
		s = w.byApp[id]
	case path == "/services/oauth2/authorize" && r.Method == http.MethodPost:
		if err := r.ParseForm(); err != nil {
			writeErrorPage(rw, "invalid_request", "malformed form")
			return nil, false
		}
		s = w.byApp[r.PostForm.Get("client_id")]
	case path == "/services/oauth2/authorize":
		s = w.byApp[r.URL.Query().Get("client_id")]
	case path == "/services/oauth2/revoke":
		// A refresh token's grant is in the shared login state whichever
		// org serves it; an access token is its org's.
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				writeOAuthError(rw, http.StatusBadRequest, revokeInvalid, "malformed request body")
				return nil, false
			}
		}
		if tok := revokeTokenOf(r); kindOf(tok) == tokenAccess {
			s = w.byID[tok[:15]]
		}
	case path == "/services/oauth2/userinfo":
		if tok := bearerToken(r); len(tok) > 15 {
			s = w.byID[tok[:15]]
		}
	case strings.HasPrefix(path, "/id/"):
		org, _, _ := strings.Cut(strings.TrimPrefix(path, "/id/"), "/")
		s = w.byID[org]
	}
	if s == nil {
		return first, true
	}
	return s, true
}

// OAuthCounts returns what the login service did for every org's
// connected app (one org's: Orgs[i].REST.OAuthCounts).
func (w *World) OAuthCounts() OAuthCounts { return w.login.oauthCounts("") }

// Close stops the shared endpoints and removes the CA file the World
// generated.
func (w *World) Close() {
	if w.PubSub != nil {
		w.PubSub.Close()
	}
	if w.rest != nil {
		w.rest.Close()
	}
	removeTempDir(w.tempDir)
}
