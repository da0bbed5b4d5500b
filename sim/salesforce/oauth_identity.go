package salesforce

import (
	"net/http"
)

// identityBody is what the identity URL and userinfo return about the
// user (the members clients read: org, user, username).
func (s *restService) identityBody() map[string]any {
	const version = "{version}" // Salesforce returns the placeholder literally
	orgID, userID := s.org.ID(), s.org.UserID()
	return map[string]any{
		"id":                 s.identityURL(),
		"sub":                s.identityURL(),
		"user_id":            userID,
		"organization_id":    orgID,
		"username":           s.app.Username,
		"preferred_username": s.app.Username,
		"nick_name":          "integration",
		"nickname":           "integration",
		"display_name":       "Integration User",
		"name":               "Integration User",
		"email":              s.app.Username,
		"active":             true,
		"user_type":          "STANDARD",
		"asserted_user":      true,
		"urls": map[string]string{
			"rest":     s.baseURL + "/services/data/v" + version + "/",
			"sobjects": s.baseURL + "/services/data/v" + version + "/sobjects/",
			"query":    s.baseURL + "/services/data/v" + version + "/query/",
			"profile":  s.baseURL + "/" + userID,
		},
	}
}

// userinfo serves GET/POST /services/oauth2/userinfo for a bearer token.
// An invalid token gets 403 Bad_OAuth_Token (the text form Salesforce's
// identity service answers with; unconfirmed, reference §5.1).
func (s *restService) userinfo(w http.ResponseWriter, r *http.Request) {
	if !s.tokens.Use(bearerToken(r)) {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return
	}
	writeJSON(w, http.StatusOK, s.identityBody())
}

// identity serves the identity URL /id/<org>/<user>.
func (s *restService) identity(w http.ResponseWriter, r *http.Request) {
	if !s.tokens.Use(bearerToken(r)) {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return
	}
	if r.PathValue("org") != s.org.ID() || r.PathValue("user") != s.org.UserID() {
		http.Error(w, "Bad_Id", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, s.identityBody())
}
