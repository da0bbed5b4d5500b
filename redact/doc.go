// Package redact removes credential-shaped text from messages before they
// are shown: bearer tokens, OAuth parameters (access, refresh and ID
// tokens, client secrets and assertions, PKCE verifiers, passwords),
// Salesforce session IDs (an org ID, '!', then the token) and JWTs.
//
// Guarantee: Text never returns one of those, and returns a text without
// them unchanged. It is the second line of defence: the errors of this
// codebase never carry a secret, but a library's or a server's message
// might, and status documents, dead letters and logs must not repeat it.
package redact
