// Package notify tells a person about the state changes of an integration
// that need one: into needs_reauth (its Salesforce grant was refused) or
// disabled, and the recovery out of either. Its guarantees:
//
//   - Notify never blocks its caller (a refresh, the scheduler): it logs
//     the change, counts it and puts it in a bounded queue; a full queue
//     drops its oldest notification and counts the drop, so a dead webhook
//     costs memory of at most Config.Queue notifications.
//   - One goroutine (Run) posts each notification to the optional webhook
//     as JSON {integration, state, reason, previous, at, authenticate_url?}
//     with X-Sfcdc-Signature: sha256=<hex HMAC-SHA256 of the exact body
//     under the configured secret>, so the receiver can prove the sender;
//     5xx, 429 and network failures are retried through the repo's retry
//     package (exponential, jittered, Retry-After honoured, bounded in
//     attempts and time), other answers fail at once. Each notification
//     ends sent, failed or dropped, each counted (Counts, Collector).
//   - The secret never appears in a log line, an error or a metric (nor
//     does credential-shaped text in a reason: redact.Text), and
//     neither does the webhook's path or query (webhook URLs such as
//     Slack's carry their own credential there): only its scheme and host
//     are named.
package notify
