package replay

import (
	"context"
	"time"
)

// OAuthStateStore keeps the single-use records behind the state parameter
// of hosted OAuth logins: put with a TTL, taken (read and deleted in one
// step) at most once. Records are opaque to the store (package onboard
// seals them: they hold the PKCE verifier).
type OAuthStateStore interface {
	// PutOAuthState stores doc under id until ttl from now; an id in use
	// is replaced (ids are random, so it never is).
	PutOAuthState(ctx context.Context, id string, doc []byte, ttl time.Duration) error
	// TakeOAuthState returns the record and deletes it, or ErrNotFound if
	// it never existed, expired or was already taken.
	TakeOAuthState(ctx context.Context, id string) ([]byte, error)
}

func checkOAuthState(id string, doc []byte, ttl time.Duration) error {
	if err := checkName("oauth state", id); err != nil {
		return err
	}
	if len(doc) == 0 || len(doc) > 64<<10 {
		return invalidf("oauth state record of %d bytes; want 1 to %d", len(doc), 64<<10)
	}
	return checkTTL(ttl)
}
