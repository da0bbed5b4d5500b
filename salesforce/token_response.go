package salesforce

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// tokenResponse is Salesforce's answer from the token endpoint (reference
// §5.1). It has no expires_in: a session lasts until the org's timeout
// policy ends it, which a client learns only from a rejected call.
type tokenResponse struct {
	AccessToken  Secret
	RefreshToken Secret // web-server flow only
	InstanceURL  string
	IDURL        string // https://login.salesforce.com/id/<org>/<user>
	TokenType    string
	IssuedAt     time.Time
	Scope        string
}

// maxTokenResponse caps how much of a token answer is read.
const maxTokenResponse = 64 << 10

// decodeTokenResponse reads a token endpoint's JSON body.
func decodeTokenResponse(body []byte) (tokenResponse, error) {
	var raw map[string]any
	if len(body) > maxTokenResponse {
		return tokenResponse{}, fmt.Errorf("decode token response: %d bytes is more than a token response", len(body))
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return tokenResponse{}, fmt.Errorf("decode token response: not a JSON object")
	}
	return tokenFromFields(func(k string) any { return raw[k] })
}

// tokenFromOAuth2 reads the same fields from a token x/oauth2 obtained
// (the Salesforce-specific ones are in its Extra).
func tokenFromOAuth2(t *oauth2.Token) (tokenResponse, error) {
	return tokenFromFields(func(k string) any {
		switch k {
		case "access_token":
			return t.AccessToken
		case "refresh_token":
			return t.RefreshToken
		case "token_type":
			return t.TokenType
		}
		return t.Extra(k)
	})
}

func tokenFromFields(field func(string) any) (tokenResponse, error) {
	str := func(k string) string { s, _ := field(k).(string); return s }
	r := tokenResponse{
		AccessToken: Secret(str("access_token")), RefreshToken: Secret(str("refresh_token")),
		InstanceURL: str("instance_url"), IDURL: str("id"), TokenType: str("token_type"), Scope: str("scope"),
	}
	if r.AccessToken == "" {
		return tokenResponse{}, fmt.Errorf("decode token response: no access_token")
	}
	if r.InstanceURL == "" {
		return tokenResponse{}, fmt.Errorf("decode token response: no instance_url")
	}
	if ms, err := strconv.ParseInt(str("issued_at"), 10, 64); err == nil && ms > 0 {
		r.IssuedAt = time.UnixMilli(ms).UTC()
	}
	return r, nil
}

// parseIdentityURL reads the org and user IDs from an identity URL
// (…/id/<orgId>/<userId>): the org ID is the second-to-last segment.
func parseIdentityURL(raw string) (orgID, userID string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("parse identity URL: %w", err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "id" {
		return "", "", fmt.Errorf("parse identity URL %q: want …/id/<org>/<user>", printable(raw, 200))
	}
	orgID, userID = parts[len(parts)-2], parts[len(parts)-1]
	if !isSalesforceID(orgID, "00D") || !isSalesforceID(userID, "005") {
		return "", "", fmt.Errorf("parse identity URL %q: %q / %q are not an org and a user ID", printable(raw, 200), printable(orgID, 20), printable(userID, 20))
	}
	return orgID, userID, nil
}

// isSalesforceID checks the shape of a 15- or 18-character ID with the
// given key prefix.
func isSalesforceID(id, prefix string) bool {
	if (len(id) != 15 && len(id) != 18) || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
