// Package salesforce authenticates to Salesforce with OAuth 2.0 and calls
// its REST API. Its guarantee: one process holds one source of sessions
// (Credentials) that the REST client and the Pub/Sub client share; a
// rejected session is replaced exactly once however many callers saw it
// rejected, the caller's call is retried once and succeeds without the
// caller seeing an error, and no secret — client secret, refresh token,
// access token, private key — ever appears in a log line, an error, or
// anything printed (the Secret type redacts itself everywhere).
//
// The session types (Session, SessionSource, StaticSession,
// ErrCannotRefresh) live here, not in pubsub: pubsub imports this package
// for them, and this package never links gRPC or Avro.
//
// golang.org/x/oauth2 runs the web-server flow (authorize URL, PKCE S256,
// code exchange, refresh) and the client credentials flow: it is the Go
// project's maintained OAuth client, its token requests follow RFC 6749
// exactly as Salesforce's endpoints expect, and it keeps the vendor
// fields (instance_url, id, issued_at) reachable through Token.Extra. The
// JWT bearer assertion is signed with github.com/golang-jwt/jwt/v5 because
// x/oauth2/jwt reads the wall clock and adds claims Salesforce does not
// define; the exchange itself is one form POST decoded like the others.
//
// # Flows
//
//   - web_server: `sfcdc auth login` runs Login: the person opens the
//     authorize URL, approves, and the local callback
//     (http://localhost:<port>/oauth2/callback, state checked, PKCE on by
//     default) receives the code; the refresh token goes to a TokenStore
//     (FileTokenStore, mode 0600; or RedisTokenStore). Later processes
//     mint sessions from it.
//   - jwt_bearer: an RS256 assertion (iss consumer key, sub username, aud
//     login URL, exp three minutes ahead) from a private key file only its
//     owner can read.
//   - client_credentials: consumer key and secret at the My Domain URL.
//
// Salesforce sends no expires_in, so a session is used until a call is
// rejected (REST 401 INVALID_SESSION_ID, gRPC UNAUTHENTICATED); then
// Credentials.Refresh obtains a new one, single-flight, with backoff after
// failures. The org ID (Pub/Sub's tenantid) comes from the token
// response's identity URL, or from userinfo when that is missing. The
// instance URL must be the login host, a configured trusted host, or under
// Salesforce's domains before a token is sent to it; a configured login or
// instance URL passes CheckConfiguredURL (https on a Salesforce domain or
// trusted host, or loopback for the simulator). Certificates are always
// verified (system roots plus CAFile); a failure is ErrUntrustedCertificate
// and names salesforce.ca_file, and nothing was sent.
//
// # REST
//
// Client runs query and queryAll (following nextRecordsUrl, batch size by
// Sforce-Query-Options), sObject Collections retrieve (2,000 IDs per call,
// split above that, positional result with nil for missing records) and
// describe (including whether <Object>ChangeEvent exists). Error bodies
// become *APIError values that match ErrInvalidSession,
// ErrRequestLimitExceeded, ErrNotFound, ErrInvalidField, ErrMalformedQuery
// or ErrServerUnavailable; Sforce-Limit-Info is read from every answer and
// every call counted (Client.Usage). Records decode to map[string]any with
// relationships nested as REST sends them and date-times as time.Time.
//
// # Failure classes
//
// Classify puts every failure of this package in one of three classes, and
// every caller (backfill, the stream's record fetch, validate, the
// subscriber's session refresh) acts on the class, not on codes:
// Transient (5xx, connection and timeout failures, a busy token endpoint)
// is retried with the retry package's backoff by the one layer that owns
// the call; Fatal (a refused query, field, object, permission, grant,
// client, certificate or URL, and anything unrecognised) stops, or
// dead-letters the one record; Limit is REST 403 REQUEST_LIMIT_EXCEEDED
// (and the Bulk query allocation).
//
// REQUEST_LIMIT_EXCEEDED means the same to every caller: the org's API
// allocation, counted over a rolling 24 hours, is spent, so a retry soon
// only fails again and adds calls. It is not retried. A one-shot
// `sfcdc backfill` stops with an error naming the limit, its watermark
// saved, so the next run resumes there; inside the daemon, a load or the stream's record fetch that
// meets it pauses only its topic (state paused, last_error naming the
// limit and when it resumes), tries again after run.budget_retry, and
// checkpoints nothing past the event that met it, so nothing is lost and
// the other topics go on.
//
// The client itself retries nothing but a rejected session (once, after
// the refresh); Credentials space their token requests after a failure
// with the retry package's policy (RefreshBackoffInitial..RefreshBackoffMax).
//
// # Bulk API 2.0 query
//
// Client.BulkQuery creates a query or queryAll job, BulkJob.Wait polls it
// with doubling pauses (injectable Sleep) and aborts it, within a bound,
// when the caller gives up, and BulkJob.Results reads it page by page by
// locator. Client.OpenBulkJob reopens a job by ID so a restarted process
// goes on from the locator it stored. The guarantee: a record read over
// Bulk is the record the REST path decodes for the same row — the same Go
// values (string, bool, json.Number, time.Time, nil, relationships nested
// with their attributes) and, for text, the same bytes: CR LF and lone CR
// inside values, quotes, accents, emoji and NUL bytes come through
// unchanged. Null and empty cannot be told apart in the CSV; Salesforce
// stores no empty strings, so an empty value is nil, as REST sends it.
// Columns are typed with the object's describe (and the describes of the
// objects a relationship column reaches). A page is streamed: one record
// at a time is held, never a page, and a record over MaxRecordBytes stops
// the page with ErrBulkRecordTooLarge. Each page's count is checked against
// Sforce-NumberOfRecords. Refusals a caller falls back to REST on match
// ErrBulkUnsupported, ErrBulkLimitExceeded and ErrBulkJobFailed; a job or
// results past their seven days match ErrBulkJobGone.
//
// The CSV is parsed with the standard library's encoding/csv, one reader
// per page (every page repeats the header, so pages are never joined). It
// is strict where it matters (LazyQuotes off: bad quoting fails instead of
// shifting columns; ragged rows fail), has no field-size limit to trip
// over and keeps NUL bytes, which are the failures other connectors' CSV
// readers hit. Its one liberty with the bytes is turning CR LF into LF
// even inside quoted values; a small guard in front of it escapes every
// CR inside quotes before parsing and restores it after, and also drops a
// leading UTF-8 byte order mark and enforces the record cap. A hand-made
// parser would have had to earn its place against this one; this one
// needed only the guard. gzip is left to net/http: no Accept-Encoding is
// set, so the Transport asks for gzip and decompresses exactly once.
// Results reads are bounded by RequestTimeout per wait for data, not per
// page, so a page consumed slowly is not cut off.
package salesforce
