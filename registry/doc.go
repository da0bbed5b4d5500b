// Package registry keeps the integrations of a deployment in the store, so
// every instance of `sfcdc serve` sees the same set and each change within
// seconds, without a restart.
//
// Guarantee: an integration is stored only after its whole spec validated
// (every problem named at once, nothing written when one spec of a batch is
// bad); its secrets (the Salesforce client secret, a fixed access token, the
// CM token) reach the store only as ciphertext sealed by the deployment's
// keyring and bound to the integration and the field, so a ciphertext
// copied to another integration's record does not open; every write is a
// compare-and-swap on the document's version, so two operators applying at
// once never lose a change silently; applying the same spec twice changes
// nothing and says so. Reading an integration whose record cannot be opened
// (a missing key, a damaged record) fails for that integration only: List
// still returns the others.
//
// The spec is stored as the YAML of integration.Spec with the secret fields
// empty, plus a map of dotted key → sealed secret, inside a small JSON
// record that also holds whether the integration is enabled and why not.
// Stored YAML is decoded without ${VAR} expansion: references are expanded
// once, on the operator's machine, when the file is applied.
package registry
