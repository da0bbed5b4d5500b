package salesforce

import (
	"net/http"
	"strings"
)

// The revocation endpoint follows Salesforce's "Revoking OAuth Tokens"
// (hosted-oauth.md §2): POST /services/oauth2/revoke with a form body
// token=<access or refresh token>, or GET with ?token=. A refresh token
// revokes its grant: the refresh token and every access token issued from
// it (one of the user's five approvals is free again). An access token
// revokes that session only. Success is 200 with an empty body; every
// failure is 400 with unsupported_token_type or invalid_token. Choices
// where Salesforce is silent: a token shaped like neither kind is
// unsupported_token_type, a missing, unknown, expired or rotated-out one
// is invalid_token (a rotated-out refresh token presented here revokes
// nothing), and the JSONP callback variant is not simulated.

// Answers of the revocation endpoint.
const (
	revokeUnsupported = "unsupported_token_type"
	revokeInvalid     = "invalid_token"
)

// tokenKind is what a presented token looks like.
type tokenKind int

const (
	tokenUnknownKind tokenKind = iota
	tokenAccess
	tokenRefresh
)

// kindOf tells tokens apart by shape: a refresh token starts with
// refreshTokenPrefix, an access token is a 15-character org ID, "!" and
// an opaque part.
func kindOf(tok string) tokenKind {
	switch {
	case strings.HasPrefix(tok, refreshTokenPrefix):
		return tokenRefresh
	case len(tok) > 16 && tok[15] == '!':
		return tokenAccess
	}
	return tokenUnknownKind
}

// revokeTokenOf reads the token a revoke request names: the form body of a
// POST (the caller parsed it), the query of a GET.
func revokeTokenOf(r *http.Request) string {
	if r.Method == http.MethodPost {
		return strings.TrimSpace(r.PostForm.Get("token"))
	}
	return strings.TrimSpace(r.URL.Query().Get("token"))
}

// revoke serves /services/oauth2/revoke.
func (s *restService) revoke(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, revokeInvalid, "malformed request body")
			return
		}
	}
	tok := revokeTokenOf(r)
	var revoked bool
	switch kindOf(tok) {
	case tokenRefresh:
		revoked = s.login.revokeRefreshToken(tok)
	case tokenAccess:
		revoked = s.tokens.revoke(tok)
	default:
		if tok != "" {
			writeOAuthError(w, http.StatusBadRequest, revokeUnsupported, "token type not supported")
			return
		}
	}
	if !revoked {
		writeOAuthError(w, http.StatusBadRequest, revokeInvalid, "invalid token")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// revokeRefreshToken ends the grant whose current refresh token tok is.
func (g *grantStore) revokeRefreshToken(tok string) bool {
	id, gen, ok := parseRefreshToken(g.key, tok)
	g.mu.Lock()
	defer g.mu.Unlock()
	gr := g.grants[id]
	if !ok || gr == nil || gen != gr.gen {
		return false
	}
	g.revokeLocked(gr)
	g.countsLocked(gr.clientID).RevokeRequests++
	return true
}
