package salesforce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Refresher sends the token requests of one connected app's web-server
// flow for a caller that keeps the grant itself (package custody, which
// shares one grant between instances): one refresh-token request per
// call, nothing cached, nothing stored. Credentials does the same for a
// single process over a TokenStore.
type Refresher struct {
	cfg    Config
	oauth  *oauth2.Config
	http   *http.Client
	policy hostPolicy
}

// Refreshed is one refresh's answer: the new session and, when the
// connected app rotates refresh tokens, the refresh token that replaces
// the one sent (which is dead from now on).
type Refreshed struct {
	Session Session
	// RefreshToken is the rotated refresh token; empty when the app does
	// not rotate (the sent one stays valid).
	RefreshToken Secret
	UserID       string
	IssuedAt     time.Time
}

// NewRefresher checks cfg (the web-server flow's login URL, client ID and
// secret) and prepares its HTTP client.
func NewRefresher(cfg Config) (*Refresher, error) {
	cfg.Flow = FlowWebServer
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	hc, err := newHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Refresher{cfg: cfg, oauth: webServerOAuth2(cfg), http: hc, policy: newHostPolicy(cfg.LoginURL, cfg.TrustedHosts)}, nil
}

// Refresh asks the token endpoint for a session with refreshToken. A
// refusal is an *OAuthError (Classify: Fatal for a dead grant, Transient
// for "token request is already being processed" and server trouble). An
// answer this client refuses (an untrusted instance URL, an unreadable
// identity URL) returns its rotated refresh token, if any, with the error.
func (r *Refresher) Refresh(ctx context.Context, refreshToken Secret) (Refreshed, error) {
	src := r.oauth.TokenSource(withHTTPClient(ctx, r.http), &oauth2.Token{RefreshToken: refreshToken.Reveal()})
	tok, err := src.Token()
	if err != nil {
		return Refreshed{}, tokenRequestError("refresh the Salesforce session", err)
	}
	resp, err := tokenFromOAuth2(tok)
	if err != nil {
		return Refreshed{}, err
	}
	var out Refreshed
	if resp.RefreshToken != "" && resp.RefreshToken != refreshToken {
		out.RefreshToken = resp.RefreshToken
	}
	// An answer refused below still rotated the token: the rotated one
	// goes back with the error, for the caller to keep (it is the only
	// live one); the session does not.
	instance, err := r.policy.checkInstanceURL(resp.InstanceURL)
	if err != nil {
		return Refreshed{RefreshToken: out.RefreshToken}, fmt.Errorf("refresh the Salesforce session: %w", err)
	}
	org, user, err := parseIdentityURL(resp.IDURL)
	if err != nil {
		return Refreshed{RefreshToken: out.RefreshToken}, fmt.Errorf("refresh the Salesforce session: %w", err)
	}
	out.Session = Session{AccessToken: resp.AccessToken.Reveal(), InstanceURL: instance, TenantID: org}
	out.UserID, out.IssuedAt = user, resp.IssuedAt
	return out, nil
}

// Revoke revokes token (a refresh token: its grant and every access token
// of it; or an access token) at the login host's revoke endpoint. A token
// Salesforce no longer knows is not an error: it is revoked either way.
func (r *Refresher) Revoke(ctx context.Context, token Secret) error {
	form := url.Values{"token": {token.Reveal()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.LoginURL+"/services/oauth2/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke a Salesforce token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("revoke a Salesforce token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	oe := decodeOAuthError(resp.StatusCode, body)
	if oe.Code == "invalid_token" {
		return nil // unknown or already revoked
	}
	return fmt.Errorf("revoke a Salesforce token: %w", oe)
}

// Close releases idle connections.
func (r *Refresher) Close() { r.http.CloseIdleConnections() }

// String describes the refresher without a secret.
func (r *Refresher) String() string {
	return fmt.Sprintf("salesforce.Refresher{login %s, client %s}", r.cfg.LoginURL, r.cfg.ClientID)
}

// AuthorizeURL is the login host's authorize URL for a hosted web-server
// flow: the code comes back to redirectURI with state; challenge is the
// PKCE S256 challenge of a verifier the caller keeps; loginHint, when set,
// prefills the username. prompt=login makes the person log in even when
// the browser holds another Salesforce session, so the approval is given
// by whom it should be, in the org it should be.
func (r *Refresher) AuthorizeURL(redirectURI, state, challenge, loginHint string) string {
	c := *r.oauth
	c.RedirectURL = redirectURI
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login")}
	if challenge != "" {
		opts = append(opts, oauth2.SetAuthURLParam("code_challenge", challenge), oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return c.AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code (with the PKCE verifier and the
// client secret) for a new grant. The answer's RefreshToken is the new
// grant's refresh token; Session names the org that approved.
func (r *Refresher) Exchange(ctx context.Context, code, verifier, redirectURI string) (Refreshed, error) {
	c := *r.oauth
	c.RedirectURL = redirectURI
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.Exchange(withHTTPClient(ctx, r.http), code, opts...)
	if err != nil {
		return Refreshed{}, tokenRequestError("exchange the authorization code", err)
	}
	resp, err := tokenFromOAuth2(tok)
	if err != nil {
		return Refreshed{}, err
	}
	if resp.RefreshToken == "" {
		return Refreshed{}, errors.New("exchange the authorization code: no refresh token was issued; give the connected app the scope \"Perform requests at any time (refresh_token, offline_access)\"")
	}
	instance, err := r.policy.checkInstanceURL(resp.InstanceURL)
	if err != nil {
		return Refreshed{}, fmt.Errorf("exchange the authorization code: %w", err)
	}
	org, user, err := parseIdentityURL(resp.IDURL)
	if err != nil {
		return Refreshed{}, fmt.Errorf("exchange the authorization code: %w", err)
	}
	return Refreshed{Session: Session{AccessToken: resp.AccessToken.Reveal(), InstanceURL: instance, TenantID: org},
		RefreshToken: resp.RefreshToken, UserID: user, IssuedAt: resp.IssuedAt}, nil
}

// LoginURL is the login host the refresher talks to.
func (r *Refresher) LoginURL() string { return r.cfg.LoginURL }
