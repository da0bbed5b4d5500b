package custody

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sealed"
)

var (
	// ErrNoGrant: the integration was never authorised (or its grant was
	// deleted); its authenticate URL gives it one.
	ErrNoGrant = errors.New("no Salesforce grant: the integration has not been authorised; open its authenticate URL")
	// ErrNeedsReauth: Salesforce refused the grant for good (revoked,
	// expired, rotated out, or the app's credentials changed); only a new
	// authorisation helps.
	ErrNeedsReauth = errors.New("the Salesforce grant was refused: the integration must be authorised again")
)

// Grant is one integration's grant as the store holds it, opened.
type Grant struct {
	RefreshToken salesforce.Secret
	AccessToken  salesforce.Secret
	InstanceURL  string
	OrgID        string
	UserID       string
	// LoginURL is the login host the grant came from and is refreshed at.
	LoginURL string
	// IssuedAt is when the access token was issued; RefreshedAt when this
	// service last refreshed it; Refreshes counts the refreshes.
	IssuedAt, RefreshedAt time.Time
	Refreshes             int64
	// RefreshingSince and RefreshingBy mark a refresh request sent and its
	// answer not yet stored. Left behind, they say that an instance died
	// between Salesforce's answer and the write: with rotation on, the
	// grant may then be lost, and this is how an operator tells that apart
	// from a revocation.
	RefreshingSince time.Time
	RefreshingBy    string
	// NeedsReauth says why Salesforce refused the grant; empty while it
	// is good.
	NeedsReauth string
	// Version is the store's version of this grant (compare-and-swap).
	Version int64
}

// String describes the grant without any token.
func (g Grant) String() string {
	return fmt.Sprintf("grant{org %s, user %s, instance %s, refreshed %s, version %d}", g.OrgID, g.UserID, g.InstanceURL,
		g.RefreshedAt.Format(time.RFC3339), g.Version)
}

// GoString keeps %#v from printing tokens.
func (g Grant) GoString() string { return g.String() }

// storedGrant is the document in the store: tokens only as ciphertext.
type storedGrant struct {
	RefreshToken    string    `json:"refresh_token,omitempty"`
	AccessToken     string    `json:"access_token,omitempty"`
	InstanceURL     string    `json:"instance_url,omitempty"`
	OrgID           string    `json:"org_id,omitempty"`
	UserID          string    `json:"user_id,omitempty"`
	LoginURL        string    `json:"login_url,omitempty"`
	IssuedAt        time.Time `json:"issued_at,omitzero"`
	RefreshedAt     time.Time `json:"refreshed_at,omitzero"`
	Refreshes       int64     `json:"refreshes,omitempty"`
	RefreshingSince time.Time `json:"refreshing_since,omitzero"`
	RefreshingBy    string    `json:"refreshing_by,omitempty"`
	NeedsReauth     string    `json:"needs_reauth,omitempty"`
}

// Vault reads and writes grants in the store, sealing the tokens with the
// deployment's keyring (the registry's keys and key IDs), each bound to
// its integration and field.
type Vault struct {
	store replay.GrantStore
	keys  *sealed.Keyring
}

// NewVault returns the vault over store.
func NewVault(store replay.GrantStore, keys *sealed.Keyring) *Vault {
	return &Vault{store: store, keys: keys}
}

func sealContext(name, field string) string { return "grant/" + name + "/" + field }

// Load returns the integration's grant, or ErrNoGrant.
func (v *Vault) Load(ctx context.Context, name string) (Grant, error) {
	doc, err := v.store.Grant(ctx, name)
	if errors.Is(err, replay.ErrNotFound) {
		return Grant{}, fmt.Errorf("integration %s: %w", quote.Value(name), ErrNoGrant)
	}
	if err != nil {
		return Grant{}, err
	}
	var s storedGrant
	if err := json.Unmarshal(doc.Doc, &s); err != nil {
		return Grant{}, fmt.Errorf("read the grant of %s: the stored document is not a grant (%v); authorise the integration again", quote.Value(name), err)
	}
	g := Grant{InstanceURL: s.InstanceURL, OrgID: s.OrgID, UserID: s.UserID, LoginURL: s.LoginURL, IssuedAt: s.IssuedAt,
		RefreshedAt: s.RefreshedAt, Refreshes: s.Refreshes, RefreshingSince: s.RefreshingSince, RefreshingBy: s.RefreshingBy,
		NeedsReauth: s.NeedsReauth, Version: doc.Version}
	for _, f := range []struct {
		field  string
		sealed string
		to     *salesforce.Secret
	}{{"refresh_token", s.RefreshToken, &g.RefreshToken}, {"access_token", s.AccessToken, &g.AccessToken}} {
		if f.sealed == "" {
			continue
		}
		plain, err := v.keys.OpenString(f.sealed, sealContext(name, f.field))
		if err != nil {
			return Grant{}, fmt.Errorf("open the grant of %s: %s: %w", quote.Value(name), f.field, err)
		}
		*f.to = salesforce.Secret(plain)
	}
	return g, nil
}

// Save writes g if the stored grant is still at g.Version (0: none), and
// returns it with its new version; otherwise a *replay.VersionConflictError.
func (v *Vault) Save(ctx context.Context, name string, g Grant) (Grant, error) {
	s := storedGrant{InstanceURL: g.InstanceURL, OrgID: g.OrgID, UserID: g.UserID, LoginURL: g.LoginURL, IssuedAt: g.IssuedAt,
		RefreshedAt: g.RefreshedAt, Refreshes: g.Refreshes, RefreshingSince: g.RefreshingSince, RefreshingBy: g.RefreshingBy,
		NeedsReauth: g.NeedsReauth}
	var err error
	if g.RefreshToken != "" {
		if s.RefreshToken, err = v.keys.SealString(g.RefreshToken.Reveal(), sealContext(name, "refresh_token")); err != nil {
			return Grant{}, err
		}
	}
	if g.AccessToken != "" {
		if s.AccessToken, err = v.keys.SealString(g.AccessToken.Reveal(), sealContext(name, "access_token")); err != nil {
			return Grant{}, err
		}
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return Grant{}, err
	}
	version, err := v.store.PutGrant(ctx, name, doc, g.Version)
	if err != nil {
		return Grant{}, err
	}
	g.Version = version
	return g, nil
}

// Delete destroys the integration's grant in the store (its ciphertext
// is gone); revoking it at Salesforce first is the caller's (Source.Revoke).
func (v *Vault) Delete(ctx context.Context, name string) error {
	return v.store.DeleteGrant(ctx, name)
}
