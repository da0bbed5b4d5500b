// Package onboard serves the two pages through which a customer's
// Salesforce admin authorises an integration (issue 17's hosted flow):
// GET /integrations/{project}/{name}/oauth2/authenticate and
// GET /external/salesforce/oauth2/callback.
//
// Guarantees: the state parameter is an opaque random handle to a sealed,
// single-use record (10 min) holding the integration, the PKCE verifier,
// the login host and the expected org, so the verifier never leaves the
// server; an unknown, expired or replayed state changes nothing; a login
// to another org than the integration's is refused (the new grant is
// revoked, the old one kept, and the page names both orgs); a new grant
// is stored sealed (package custody) and the one it replaces is revoked;
// Salesforce's documented errors (access_denied and the others) are shown
// with what to do. No code, token, verifier or secret appears on a page or
// in a log line.
package onboard
