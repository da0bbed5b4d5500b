package salesforce

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// redeemJWT serves the JWT bearer grant: an RS256 assertion signed with the
// key whose certificate the app holds, iss = consumer key, sub = the
// user's username, aud = the login URL, exp in the future (by the org's
// clock). golang-jwt verifies the signature; the claims are checked here
// so each failure gets Salesforce's error.
func (s *restService) redeemJWT(w http.ResponseWriter, r *http.Request) {
	if s.app.jwtKey == nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims,
		func(*jwt.Token) (any, error) { return s.app.jwtKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
		return
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	exp, expErr := claims.GetExpirationTime()
	switch {
	case iss != s.app.ClientID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
	case !audienceMatches(claims, s.baseURL):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "audience is invalid")
	case sub != s.app.Username:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "user hasn't approved this consumer")
	case expErr != nil || exp == nil:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid assertion")
	case !s.clock.Now().Before(exp.Time.Add(time.Second)):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
	default:
		writeJSON(w, http.StatusOK, s.respond(s.app, GrantJWTBearer, "api", s.tokens.Issue()))
	}
}

// audienceMatches accepts the login URL with or without a trailing slash,
// as a string or in a list.
func audienceMatches(claims jwt.MapClaims, loginURL string) bool {
	aud, err := claims.GetAudience()
	if err != nil {
		return false
	}
	return slices.ContainsFunc(aud, func(a string) bool { return strings.TrimRight(a, "/") == loginURL })
}
