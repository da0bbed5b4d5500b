package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// grant obtains a new token response by one OAuth flow. Every call is a
// request to the token endpoint; nothing is cached here.
type grant interface {
	token(ctx context.Context, hc *http.Client) (tokenResponse, error)
	flow() Flow
}

// tokenURL is the token endpoint under a login URL.
func tokenURL(loginURL string) string { return loginURL + "/services/oauth2/token" }

// withHTTPClient makes x/oauth2 use hc (TLS roots, no redirects, timeout).
func withHTTPClient(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// webServerOAuth2 is the x/oauth2 configuration of the web-server flow:
// secrets in the form body, as Salesforce documents the requests.
func webServerOAuth2(cfg Config) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{
			AuthURL:   cfg.LoginURL + "/services/oauth2/authorize",
			TokenURL:  tokenURL(cfg.LoginURL),
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: callbackURL(cfg.CallbackPort),
		Scopes:      cfg.Scopes,
	}
}

// callbackURL is the registered redirect URI of the local login.
func callbackURL(port int) string { return fmt.Sprintf("http://localhost:%d/oauth2/callback", port) }

// refreshOutlivesCaller bounds a refresh-token request (and the save of a
// rotated token) that its caller has given up on.
const refreshOutlivesCaller = 30 * time.Second

// refreshTokenGrant mints sessions from the stored refresh token.
type refreshTokenGrant struct {
	oauth *oauth2.Config
	store TokenStore
}

func (g *refreshTokenGrant) flow() Flow { return FlowWebServer }

func (g *refreshTokenGrant) token(ctx context.Context, hc *http.Client) (tokenResponse, error) {
	stored, err := g.store.Load(ctx)
	if errors.Is(err, ErrNoStoredToken) {
		return tokenResponse{}, fmt.Errorf("%w: no refresh token in %s; run `sfcdc auth login`", ErrNotLoggedIn, g.store)
	}
	if err != nil {
		return tokenResponse{}, err
	}
	// Once sent, the request may rotate the refresh token whatever becomes
	// of the caller, so it and the save of the rotated token outlive the
	// caller's context (a shutdown or a stopping worker mid-refresh would
	// otherwise throw away the only live refresh token); bounded instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshOutlivesCaller)
	defer cancel()
	// A token with only a refresh token is invalid to x/oauth2, so Token()
	// always asks the endpoint: exactly one refresh per call.
	src := g.oauth.TokenSource(withHTTPClient(ctx, hc), &oauth2.Token{RefreshToken: stored.RefreshToken.Reveal()})
	tok, err := src.Token()
	if err != nil {
		return tokenResponse{}, tokenRequestError("refresh the Salesforce session", err)
	}
	resp, err := tokenFromOAuth2(tok)
	if err != nil {
		return tokenResponse{}, err
	}
	if resp.RefreshToken != "" && resp.RefreshToken != stored.RefreshToken {
		// Refresh token rotation is on: keep the new one or the next
		// refresh fails.
		stored.RefreshToken = resp.RefreshToken
		if err := g.store.Save(ctx, stored); err != nil {
			return tokenResponse{}, fmt.Errorf("store the rotated refresh token: %w", err)
		}
	}
	return resp, nil
}

// clientCredentialsGrant runs the client credentials flow.
type clientCredentialsGrant struct {
	cc *clientcredentials.Config
}

func newClientCredentialsGrant(cfg Config) *clientCredentialsGrant {
	return &clientCredentialsGrant{cc: &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		TokenURL:     tokenURL(cfg.LoginURL),
		AuthStyle:    oauth2.AuthStyleInParams,
	}}
}

func (g *clientCredentialsGrant) flow() Flow { return FlowClientCredentials }

func (g *clientCredentialsGrant) token(ctx context.Context, hc *http.Client) (tokenResponse, error) {
	tok, err := g.cc.Token(withHTTPClient(ctx, hc))
	if err != nil {
		return tokenResponse{}, tokenRequestError("obtain a Salesforce session by client credentials", err)
	}
	return tokenFromOAuth2(tok)
}

// tokenRequestError turns x/oauth2's error into an *OAuthError when the
// endpoint answered, dropping the raw body; transport errors stay as they
// are (they name the token URL, which carries no secret).
func tokenRequestError(action string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", action, err)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	oe := decodeOAuthError(status, re.Body)
	if re.ErrorCode != "" {
		oe.Code, oe.Description = printable(re.ErrorCode, 100), printable(re.ErrorDescription, 500)
	}
	return fmt.Errorf("%s: %w", action, oe)
}
