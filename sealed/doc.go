// Package sealed keeps secrets at rest as ciphertext: the client secrets,
// CM tokens, refresh and access tokens and OAuth state records that a
// deployment serving many integrations stores in Redis or the embedded
// store.
//
// Guarantee: Seal never returns its plaintext or any part of it, and Open
// returns a plaintext only for a value sealed by a key of the keyring under
// the same context; a value that was changed, sealed under another context
// (another integration's or another field's), or sealed by a key the
// keyring does not hold is refused with an error that names the key ID and
// the fix, never with a guess. The keys themselves never reach the store:
// they come from the process environment (SFCDC_SECRET_KEY) or a key file.
//
// Format: "sfcdc:v1:<key-id>:<base64url(nonce ‖ ciphertext ‖ tag)>",
// AES-256-GCM with a random 96-bit nonce per value, and the associated data
// binding the version, the key ID and the caller's context (e.g.
// "integration/acme/support/client_secret"), so a ciphertext copied into
// another integration's record or relabelled with another key ID does not
// open. Every ciphertext names its key, so keys rotate: a keyring holds a
// primary key (the first, used to seal) and older keys (used only to open),
// and Reseal moves a value onto the primary key.
//
// Why the standard library's AES-GCM rather than Tink or nacl/secretbox:
// GCM takes associated data directly (secretbox has none), the format and
// the key-ID scheme are a few lines here, and a KMS envelope (Tink) needs a
// KMS this project does not assume. 2^32 values per key is the usual bound
// for random GCM nonces; a deployment seals a few values per integration
// and change, orders of magnitude below it, and rotation resets the count.
package sealed
