// Package redact removes credential-shaped text from messages before they
// are shown or stored: bearer tokens, OAuth parameters (access, refresh and
// ID tokens, client secrets and assertions, PKCE verifiers, passwords),
// Salesforce session IDs (an org ID, '!', then the token) and JWTs.
//
// Guarantee: Text never returns one of those, and returns a text without
// them unchanged; a log record that passes through Handler (every logger
// the sfcdc commands build comes from Logger or TextLogger) reaches its
// writer with Text applied to its message and to every string, error and
// Stringer value, and with the whole value of a credential-named key
// (access_token, Authorization, password, …) replaced. It is the second
// line of defence: the errors of this codebase never carry a secret, but a
// library's or a server's message might, and status documents, dead
// letters and logs must not repeat it.
//
// Handler wraps any slog.Handler rather than using HandlerOptions'
// ReplaceAttr, so that it covers the message too and can sit under other
// handlers (the incident tracker of `sfcdc run` wraps it).
package redact
