package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TokenStore keeps what the web-server flow needs between runs: the
// refresh token and the identity it belongs to. Access tokens are never
// stored; each process mints its own.
type TokenStore interface {
	// Load returns the stored token, or ErrNoStoredToken.
	Load(ctx context.Context) (StoredToken, error)
	// Save replaces the stored token.
	Save(ctx context.Context, t StoredToken) error
	// String says where the token lives, for messages (never its value).
	String() string
}

// ErrNoStoredToken: nothing was stored yet (`sfcdc auth login` stores it).
var ErrNoStoredToken = errors.New("no stored Salesforce token")

// StoredToken is a login's durable result.
type StoredToken struct {
	Flow         Flow
	LoginURL     string
	ClientID     string
	RefreshToken Secret
	InstanceURL  string
	OrgID        string
	UserID       string
	Username     string
	SavedAt      time.Time
}

// storedTokenJSON is the stored form; it reveals the refresh token, which
// is why only stores call encodeStoredToken.
type storedTokenJSON struct {
	Version      int       `json:"version"`
	Flow         Flow      `json:"flow"`
	LoginURL     string    `json:"login_url"`
	ClientID     string    `json:"client_id"`
	RefreshToken string    `json:"refresh_token"`
	InstanceURL  string    `json:"instance_url"`
	OrgID        string    `json:"org_id"`
	UserID       string    `json:"user_id"`
	Username     string    `json:"username"`
	SavedAt      time.Time `json:"saved_at"`
}

// maxStoredToken caps a stored token's size.
const maxStoredToken = 16 << 10

func encodeStoredToken(t StoredToken) ([]byte, error) {
	return json.MarshalIndent(storedTokenJSON{
		Version: 1, Flow: t.Flow, LoginURL: t.LoginURL, ClientID: t.ClientID, RefreshToken: t.RefreshToken.Reveal(),
		InstanceURL: t.InstanceURL, OrgID: t.OrgID, UserID: t.UserID, Username: t.Username, SavedAt: t.SavedAt,
	}, "", "  ")
}

// decodeStoredToken reads a stored token as untrusted input: bounded,
// strict (unknown keys refused), and checked for shape.
func decodeStoredToken(raw []byte) (StoredToken, error) {
	if len(raw) > maxStoredToken {
		return StoredToken{}, fmt.Errorf("decode stored token: %d bytes is too large", len(raw))
	}
	var v storedTokenJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return StoredToken{}, fmt.Errorf("decode stored token: not the expected JSON")
	}
	switch {
	case v.Version != 1:
		return StoredToken{}, fmt.Errorf("decode stored token: version %d is not 1", v.Version)
	case v.RefreshToken == "":
		return StoredToken{}, fmt.Errorf("decode stored token: no refresh token")
	case v.OrgID != "" && !isSalesforceID(v.OrgID, "00D"):
		return StoredToken{}, fmt.Errorf("decode stored token: org_id is not an org ID")
	case checkBaseURL(v.InstanceURL) != nil:
		return StoredToken{}, fmt.Errorf("decode stored token: instance_url is not an https URL")
	}
	return StoredToken{
		Flow: v.Flow, LoginURL: v.LoginURL, ClientID: v.ClientID, RefreshToken: Secret(v.RefreshToken),
		InstanceURL: v.InstanceURL, OrgID: v.OrgID, UserID: v.UserID, Username: v.Username, SavedAt: v.SavedAt,
	}, nil
}
