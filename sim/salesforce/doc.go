// Package salesforce is a simulated Salesforce org that follows the
// documented APIs (shared/reference/salesforce.md) closely enough that
// sfcdc's tests, the demo and `sfcdc sim` can run against it instead of a
// real org: records with real ID formats and audit fields, Change Data
// Capture events encoded with Avro writer schemas shaped like Salesforce's
// (headers, bitmaps, merged, gap, overflow and diff events), the Pub/Sub
// gRPC service, REST and OAuth endpoints, and fault injection.
//
// # The org
//
// An Org holds the object catalogue (standard objects with their real API
// names and key prefixes, plus custom objects, fields, channels and
// platform events declared in Config) and the records. DML runs in
// transactions (Org.Transaction); on commit every change of an object that
// has a change event becomes an event appended to the org's Bus, in commit
// order. Reads (Org.Get, Org.Records) return copies.
//
// # Change events
//
// Each object with a change event has one writer schema per version of its
// field list; adding a field (Org.AddField) makes a new schema whose ID is a
// fingerprint of its JSON, and later events use it. Bodies follow the
// change type (reference §3.4). Choices where the reference is unsure:
//
//   - A compound field whose components change is reported only by its
//     "P-0x…" entry; its own top-level bit stays clear, as in the real
//     event ["0x400000","4-0x06"] of reference §3.9.
//   - Only adjacent changes in a transaction merge (same entity, change
//     type and body, different records), so no record's history reorders.
//   - An UPDATE counts one change per changed field (components included)
//     toward the overflow limit; CREATE, DELETE and UNDELETE count one.
//   - Date-only fields are Avro int days since the epoch; datetimes are
//     long epoch milliseconds.
//   - Diffs (Config.SendDataDifferences) apply to textarea fields; "more
//     than 25 % of lines changed" means the larger of removed and added
//     lines over the longer text's line count.
//   - CaseComment has no change event unless Config.CaseCommentChangeEvents.
//
// # Pub/Sub API
//
// StartPubSub serves eventbus.v1.PubSub over the Bus, a single log of which
// every channel is a filtered view (so a channel's replay IDs increase but
// are not contiguous). Every call checks the accesstoken, instanceurl and
// tenantid metadata; errors carry the error-code and rpc-id trailers. Flow
// control follows the documented rules (at most 100 events owed per stream,
// num_requested ≤ 0 rejected); idle streams get keepalives carrying
// latest_replay_id, which never passes an undelivered event. A replay ID is
// usable while no event after it was purged by retention; older ones fail
// with …replayid.corrupted, malformed ones with …replayid.validation.failed.
// ManagedSubscribe (Beta) checks the metadata too, then answers
// UNIMPLEMENTED. At most 100 streams run on one HTTP/2 connection
// (MaxStreamsPerConnection, advertised in SETTINGS; a stream beyond it is
// reset with REFUSED_STREAM, so grpc-go clients queue it). Faults inject stream ends, connection resets, stalls,
// latency and token expiry. Plaintext (PubSubConfig.Insecure) is served on
// loopback addresses only; any other address fails to start.
//
// # Many orgs
//
// StartWorld runs many orgs as Salesforce serves them (issue 16): one
// Pub/Sub endpoint (StartSharedPubSub) resolves the tenantid metadata (15
// or 18 characters) to the org and checks the token and instance URL
// against THAT org, so one org's token with another's tenantid is refused
// as UNAUTHENTICATED; each call is served from the resolved org's topics,
// bus and faults. Each org has its own ID, user, records, bus, session
// registry, connected app and instance URL (127.0.0.1 plus the org's index,
// all on one port of one REST listener: see World for why); the first
// org's instance is the shared login host, whose token endpoint issues
// tokens of the org whose client_id asked. An idle org starts no goroutine
// and costs about 60 KiB (compiled schemas are shared by the orgs of one
// process, an org's REST router is built at its first request).
//
// # REST and OAuth
//
// The REST server is the org's instance and login URL: OAuth (authorize
// page, web-server flow with PKCE, refresh, JWT bearer, client
// credentials, userinfo, /id URLs), query/queryAll with the SOQL subset
// sfcdc uses, sObject and Collections retrieve, sObject create, update and
// delete (each one transaction with its change event; no undelete, which
// Salesforce offers through SOAP and Apex only), describe,
// Sforce-Limit-Info and a daily API budget.
//
// OAuth follows hosted-oauth.md: per connected app, refresh token
// rotation (ConnectedApp.RotateRefreshTokens, RESTServer.SetRotateRefreshTokens)
// makes each refresh token single-use, and a rotated-out token presented
// again revokes the grant and its access tokens; a refresh while another
// with the same token is in flight is refused as "token request is already
// being processed" (RESTServer.SetRefreshDelay and HoldRefreshes make
// refreshes overlap); a user holds at most MaxApprovals grants per app,
// the next evicting the oldest; the app's RefreshTokenPolicy ends grants
// after a time or when idle, and its RefreshTokenIPAllowlist refuses code
// exchanges and refreshes from elsewhere ("ip restricted");
// /services/oauth2/revoke ends a grant (a
// refresh token) or a session (an access token); Tokens.SetLifetime and
// SetIdleTimeout expire sessions. The authorize page is a login form: the
// username (prefilled from login_hint) picks the user, and in a World the
// user's org, whatever org's app asked. RESTServer.OAuthCounts and
// World.OAuthCounts count refreshes, rotations, refusals and revocations.
//
// Choices where the reference is unsure: userinfo
// answers an invalid token with 403 Bad_OAuth_Token; more than 2,000 IDs in
// one Collections call is EXCEEDED_ID_LIMIT; a JWT exp has no upper bound;
// any loopback /oauth2/callback is accepted unless callback URLs are
// configured. Subqueries, aggregates other than COUNT() and date literals
// are not supported. Query pages shrink to 200 rows when two custom long
// text fields are selected (standard ones too with
// RESTConfig.StandardLongTextShrinksPages).
//
// # Bulk API 2.0 query
//
// Query jobs (rest_bulk.go) run the same SOQL subset, refusing what Bulk
// API 2.0 refuses, and move through UploadComplete, InProgress and
// JobComplete (or Failed, Aborted) by the org's clock. Results are CSV
// pages addressed by locator, rendered row by row from the snapshot taken
// at completion, so a job over hundreds of thousands of large emails holds
// no rendered text. Daily job and result-volume allocations, 7-day
// retention and the API budget apply; faults fail or expire jobs.
//
// # Generator
//
// Generator produces reproducible support traffic (cases, inbound and
// outbound emails with multi-KB bodies, comments, status changes, deletes
// and undeletes) from a seed, either at a rate or as fast as possible;
// Generate(ctx, n) appends exactly n events. A TrafficGate pauses it
// between activities; SetWorkingSet with Bus.SetMaxRetained and
// Bus.SetCompressed keep a run of any length in constant memory.
//
// goavro/v2 encodes the events because the consumer side decodes with it;
// using the same library keeps the simulator's schemas honest about what
// that decoder accepts.
package salesforce
