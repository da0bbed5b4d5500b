package replay

import "context"

// GrantStore keeps each integration's Salesforce grant (its sealed tokens
// and identity: package custody encodes and seals them) as one versioned
// document, written by compare-and-swap, so instances that share a grant
// never overwrite each other's rotated refresh token. Unlike the registry,
// a grant write does not bump the registry version: grants change at every
// refresh, and no instance should re-read the registry for it.
type GrantStore interface {
	// PutGrant stores doc under name if the stored grant's version is
	// expect (0: none may exist), and returns the new version (expect+1).
	// Otherwise it returns a *VersionConflictError matching
	// ErrVersionConflict.
	PutGrant(ctx context.Context, name string, doc []byte, expect int64) (int64, error)
	// Grant returns the stored grant, or ErrNotFound.
	Grant(ctx context.Context, name string) (GrantDoc, error)
	// DeleteGrant removes the grant (its ciphertext is gone from the store);
	// deleting a missing grant is harmless.
	DeleteGrant(ctx context.Context, name string) error
}

// GrantDoc is one stored grant.
type GrantDoc = IntegrationDoc

// checkGrant bounds a grant document like a registry document.
func checkGrant(name string, doc []byte) error {
	if err := checkName("grant", name); err != nil {
		return err
	}
	return checkDoc(doc)
}
