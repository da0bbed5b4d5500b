// Package custody keeps each integration's Salesforce grant (refresh
// token, access token, instance URL, org and user) in the deployment's
// store for every instance at once, sealed at rest, and refreshes it so
// that the grant survives: exactly one refresh at a time per integration
// across the instances (a store lease whose fencing token guards it), the
// grant re-read after the lease is taken (another instance's new access
// token is used, not refreshed again), a rotated refresh token written by
// compare-and-swap before the new access token is used, a token request
// that outlives its caller's context (only a crash or the lock's TTL cuts
// it off), a "refresh in flight since" marker that makes a crash between
// Salesforce's answer and the write visible, "token request is already
// being processed" retried with jitter, and a refused grant
// (invalid_grant, invalid_client) marked as needing re-authorisation
// after one more read of the store, so no instance asks again. When the
// refused grant held a marker left by an earlier refresh, the reason
// names that refresh (its instance and time): with rotation, a crash
// between Salesforce's answer and the write loses the grant for good
// (Salesforce documents no grace period), and the operator sees which
// crash did it. No token ever leaves the package in plaintext other than
// as the Session handed to Salesforce calls.
package custody
