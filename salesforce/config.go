package salesforce

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// Flow is an OAuth 2.0 flow Salesforce supports for a server integration.
type Flow string

// The flows (reference §5.1).
const (
	// FlowWebServer: a person approves once in a browser; the refresh token
	// is stored and every later session is minted from it.
	FlowWebServer Flow = "web_server"
	// FlowJWTBearer: an RS256 assertion signed with the app's private key,
	// for a pre-authorized integration user. No stored state.
	FlowJWTBearer Flow = "jwt_bearer"
	// FlowClientCredentials: consumer key and secret against the My Domain
	// token endpoint, running as the app's Run-As user. No stored state.
	FlowClientCredentials Flow = "client_credentials"
)

// Defaults of Config.
const (
	DefaultLoginURL     = "https://login.salesforce.com"
	DefaultAPIVersion   = "62.0"
	DefaultCallbackPort = 1717
)

// DefaultScopes are what the web-server flow asks for: API access and a
// refresh token usable while nobody is present.
var DefaultScopes = []string{"api", "refresh_token", "offline_access"}

// Clock lets tests inject time (backoff, JWT expiry).
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config says how to authenticate to Salesforce and call its REST API.
// Every zero value is documented; Validate names the key to fix. Keys are
// given by their configuration-file names (salesforce.auth.<key>).
type Config struct {
	// Flow is web_server, jwt_bearer or client_credentials (required).
	Flow Flow
	// LoginURL is where tokens come from: https://login.salesforce.com
	// (default), https://test.salesforce.com for sandboxes, or the My
	// Domain URL — required for client_credentials. It is also the JWT
	// audience.
	LoginURL string
	// ClientID is the connected app's consumer key (required).
	ClientID string
	// ClientSecret is the consumer secret (web_server, client_credentials).
	ClientSecret Secret
	// Scopes asked for by the web-server flow (DefaultScopes when empty).
	Scopes []string
	// CallbackPort is the local port of http://localhost:<port>/oauth2/callback
	// (DefaultCallbackPort when 0; the URL must be registered in the app).
	CallbackPort int
	// DisablePKCE turns off the PKCE (S256) challenge the web-server flow
	// sends by default.
	DisablePKCE bool
	// PrivateKeyFile is the PEM RSA key for jwt_bearer; it must not be
	// readable by group or others.
	PrivateKeyFile string
	// Username is the integration user (jwt_bearer's sub).
	Username string
	// CAFile adds a PEM CA bundle to the system roots (the simulator's CA).
	CAFile string
	// TrustedHosts are extra host names an instance URL may have, besides
	// the login URL's host and Salesforce's domains.
	TrustedHosts []string
	// APIVersion of REST calls, e.g. "62.0" (DefaultAPIVersion when empty).
	APIVersion string
	// RequestTimeout bounds one HTTP exchange (60 s when 0).
	RequestTimeout time.Duration
	// RefreshBackoffInitial and RefreshBackoffMax bound the wait after a
	// failed token request before the next one is sent (1 s and 2 min when 0):
	// the retry policy's waits, doubling, jitter only lengthening a wait.
	RefreshBackoffInitial, RefreshBackoffMax time.Duration
	// Clock is the time source (the wall clock when nil).
	Clock Clock
	// Logger receives session and call events, never a secret (slog.Default when nil).
	Logger *slog.Logger
}

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid Salesforce configuration")

var apiVersionPattern = regexp.MustCompile(`^[1-9][0-9]\.0$`)

// withDefaults fills the documented zero values.
func (c Config) withDefaults() Config {
	if c.LoginURL == "" && c.Flow != FlowClientCredentials {
		c.LoginURL = DefaultLoginURL
	}
	c.LoginURL = strings.TrimRight(c.LoginURL, "/")
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	if c.CallbackPort == 0 {
		c.CallbackPort = DefaultCallbackPort
	}
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	c.APIVersion = strings.TrimPrefix(c.APIVersion, "v")
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.RefreshBackoffInitial <= 0 {
		c.RefreshBackoffInitial = time.Second
	}
	if c.RefreshBackoffMax <= 0 {
		c.RefreshBackoffMax = 2 * time.Minute
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks the settings the configured flow needs.
func (c Config) Validate() error {
	c = c.withDefaults()
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch c.Flow {
	case FlowWebServer, FlowClientCredentials:
		if c.ClientSecret == "" {
			add("client_secret is empty: set the connected app's consumer secret (from the environment, SFCDC_CLIENT_SECRET)")
		}
	case FlowJWTBearer:
		if c.PrivateKeyFile == "" || c.Username == "" {
			add("private_key_file and username are required by jwt_bearer: the PEM key whose certificate the app holds, and the integration user")
		}
	default:
		add("flow %s is not one of web_server, jwt_bearer, client_credentials", quote.Value(string(c.Flow)))
	}
	if c.ClientID == "" {
		add("client_id is empty: set the connected app's consumer key")
	}
	if c.Flow == FlowClientCredentials && c.LoginURL == "" {
		add("login_url is empty: client_credentials needs the My Domain URL, e.g. https://MyDomain.my.salesforce.com")
	}
	if c.LoginURL != "" {
		// The login URL receives the client secret or the signed assertion,
		// and its host is trusted as an instance host: only Salesforce, a
		// host the operator trusts by name, or the simulator on loopback.
		if err := CheckConfiguredURL("login_url", c.LoginURL, c.TrustedHosts, true); err != nil {
			add("%v", err)
		}
	}
	if c.CallbackPort < 0 || c.CallbackPort > 65535 {
		add("callback_port %d is not a TCP port (1-65535)", c.CallbackPort)
	}
	if !apiVersionPattern.MatchString(c.APIVersion) {
		add("api_version %s: want a version like 62.0", quote.Value(c.APIVersion))
	}
	if c.RefreshBackoffMax < c.RefreshBackoffInitial {
		add("refresh_backoff_max is below refresh_backoff_initial")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
	}
	return nil
}

// checkBaseURL accepts https URLs without user info, query or fragment, and
// plain http only on loopback (the simulator without TLS).
// A URL's user info may hold a password, and its query a token: errors
// show the URL without either.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s is not an absolute URL", quote.URL(raw))
	}
	switch {
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s must not carry user info, a query or a fragment", quote.URL(raw))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%s must use https (plain http is allowed on loopback only)", quote.URL(raw))
}
