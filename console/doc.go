// Package console serves the operator's pages of a deployment: every
// integration with its state, reason, last event, lag, comments sent
// today (UTC) and their billable units, dead letters, the authenticate
// link of each that needs one, and one integration's page with its
// topics; the same data as
// JSON under /api/v1/integrations. Plain server-rendered HTML
// (html/template, no script), readable on a phone. Every request needs the
// admin token (Bearer, or the password of HTTP Basic) unless the console
// is configured open (a loopback-only listener); no secret is ever on a
// page.
package console
