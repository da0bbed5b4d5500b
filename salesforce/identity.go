package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Identity says who the credentials act as. It holds no secret.
type Identity struct {
	Flow        Flow
	LoginURL    string
	InstanceURL string
	OrgID       string
	UserID      string
	Username    string
}

// userinfoResponse is what sfcdc reads from /services/oauth2/userinfo.
type userinfoResponse struct {
	UserID            string `json:"user_id"`
	OrganizationID    string `json:"organization_id"`
	PreferredUsername string `json:"preferred_username"`
}

// decodeUserinfo reads a userinfo body and checks the IDs' shape.
func decodeUserinfo(body []byte) (userinfoResponse, error) {
	var u userinfoResponse
	if err := json.Unmarshal(body, &u); err != nil {
		return userinfoResponse{}, fmt.Errorf("decode userinfo: not a JSON object")
	}
	if !isSalesforceID(u.OrganizationID, "00D") || !isSalesforceID(u.UserID, "005") {
		return userinfoResponse{}, fmt.Errorf("decode userinfo: organization_id or user_id missing or malformed")
	}
	u.PreferredUsername = printable(u.PreferredUsername, 200)
	return u, nil
}

// Identity returns who the session acts as, asking userinfo for the
// username. A rejected session is refreshed once.
func (c *Credentials) Identity(ctx context.Context) (Identity, error) {
	cur, err := c.Current(ctx)
	if err != nil {
		return Identity{}, err
	}
	info, err := c.userinfo(ctx, sessionOf(cur))
	if err == errUserinfoRejected {
		if cur, err = c.Refresh(ctx, cur); err != nil {
			return Identity{}, err
		}
		info, err = c.userinfo(ctx, sessionOf(cur))
	}
	if err != nil {
		return Identity{}, err
	}
	return Identity{
		Flow: c.cfg.Flow, LoginURL: c.cfg.LoginURL, InstanceURL: cur.InstanceURL,
		OrgID: info.OrganizationID, UserID: info.UserID, Username: info.PreferredUsername,
	}, nil
}

func sessionOf(s Session) *session {
	return &session{token: Secret(s.AccessToken), instanceURL: s.InstanceURL, orgID: s.TenantID}
}

var errUserinfoRejected = fmt.Errorf("read userinfo: the session was rejected: %w", ErrInvalidSession)

// userinfo calls <instance>/services/oauth2/userinfo with the session.
func (c *Credentials) userinfo(ctx context.Context, s *session) (userinfoResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.instanceURL+"/services/oauth2/userinfo", nil)
	if err != nil {
		return userinfoResponse{}, fmt.Errorf("read userinfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return userinfoResponse{}, fmt.Errorf("read userinfo: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return userinfoResponse{}, fmt.Errorf("read userinfo: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return userinfoResponse{}, errUserinfoRejected
	case resp.StatusCode != http.StatusOK:
		return userinfoResponse{}, fmt.Errorf("read userinfo: Salesforce answered %d", resp.StatusCode)
	}
	return decodeUserinfo(body)
}
