package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Grant types the token endpoint accepts.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantClientCredentials = "client_credentials"
)

// defaultScope is what the connected app grants when the client names no
// scope: API access and a refresh token.
const defaultScope = "api refresh_token offline_access"

// tokenResponse is Salesforce's token response (reference §5.1): no
// expires_in, refresh_token only from the web-server flow.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

// oauthError is the token endpoint's error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, oauthError{Error: code, Description: description})
}

func (s *restService) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /services/oauth2/authorize", s.authorize)
	mux.HandleFunc("POST /services/oauth2/authorize", s.decide)
	mux.HandleFunc("POST /services/oauth2/token", s.token)
	mux.HandleFunc("GET /services/oauth2/userinfo", s.userinfo)
	mux.HandleFunc("POST /services/oauth2/userinfo", s.userinfo)
	mux.HandleFunc("GET /id/{org}/{user}", s.identity)
	mux.HandleFunc("POST /services/oauth2/revoke", s.revoke)
	mux.HandleFunc("GET /services/oauth2/revoke", s.revoke)
}

// token serves POST /services/oauth2/token for the four grant types.
func (s *restService) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	if s.faults.takeTokenError() {
		writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the service is temporarily unavailable")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case GrantAuthorizationCode:
		s.redeemCode(w, r)
	case GrantRefreshToken:
		s.redeemRefreshToken(w, r)
	case GrantJWTBearer:
		s.redeemJWT(w, r)
	case GrantClientCredentials:
		s.clientCredentials(w, r)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	}
}

// clientAuth reads the client ID and secret from the form or from HTTP
// Basic authentication.
func clientAuth(r *http.Request) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		return u, p
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

func (s *restService) secretMatches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(secret), []byte(s.app.ClientSecret)) == 1
}

func (s *restService) redeemCode(w http.ResponseWriter, r *http.Request) {
	id, secret := clientAuth(r)
	if id != s.app.ClientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	if !s.secretMatches(secret) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}
	if !s.refresh.ipAllowed(r.RemoteAddr) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msgIPRestricted)
		return
	}
	req, ok := s.login.takeCode(r.PostForm.Get("code"))
	switch {
	case !ok || req.clientID != id:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid authorization code")
	case req.redirectURI != r.PostForm.Get("redirect_uri"):
		writeOAuthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "redirect_uri must match configuration")
	case req.challenge != "" && !verifierMatches(r.PostForm.Get("code_verifier"), req.challenge):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid code verifier")
	default:
		user := req.user
		if user == nil {
			user = s
		}
		var access, refresh string
		if grantsRefresh(req.scope) {
			gr, tok := s.login.newGrant(id, req.username, req.scope, user, s.refresh.currentPolicy())
			access, refresh = tok, s.login.refreshToken(gr.id, gr.gen)
		} else {
			access = user.tokens.Issue()
		}
		resp := user.respond(s.app, GrantAuthorizationCode, req.scope, access)
		resp.RefreshToken = refresh
		writeJSON(w, http.StatusOK, resp)
	}
}

// verifierMatches is the PKCE S256 check: BASE64URL(SHA256(verifier)) == challenge.
func verifierMatches(verifier, challenge string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func grantsRefresh(scope string) bool {
	scopes := strings.Fields(scope)
	return slices.Contains(scopes, "refresh_token") || slices.Contains(scopes, "offline_access")
}

func (s *restService) clientCredentials(w http.ResponseWriter, r *http.Request) {
	id, secret := clientAuth(r)
	switch {
	case id != s.app.ClientID || !s.secretMatches(secret):
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
	case s.app.DisableClientCredentials:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "no client credentials user enabled")
	default:
		writeJSON(w, http.StatusOK, s.respond(s.app, GrantClientCredentials, "api", s.tokens.Issue()))
	}
}

// respond builds the token response for an access token of this org's
// session registry (so the Pub/Sub endpoint accepts it too), signed as
// Salesforce signs it: HMAC-SHA256 of id + issued_at under the secret of
// app, the connected app the client authenticated as (another org's when
// a user of this org approved that app).
func (s *restService) respond(app ConnectedApp, grantType, scope, accessToken string) tokenResponse {
	s.issued.count(grantType)
	if scope == "" {
		scope = defaultScope
	}
	issuedAt := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
	idURL := s.identityURL()
	mac := hmac.New(sha256.New, []byte(app.ClientSecret))
	mac.Write([]byte(idURL + issuedAt))
	return tokenResponse{
		AccessToken: accessToken,
		Signature:   base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Scope:       scope,
		InstanceURL: s.baseURL,
		ID:          idURL,
		TokenType:   "Bearer",
		IssuedAt:    issuedAt,
	}
}

// identityURL is the user's identity URL: <login URL>/id/<org>/<user>.
func (s *restService) identityURL() string {
	return s.baseURL + "/id/" + s.org.ID() + "/" + s.org.UserID()
}
