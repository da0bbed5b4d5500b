// Package retry is the one retry policy of sfcdc: every layer that repeats
// a failed call (the CM uploader, the backfill's REST reads, the stream's
// record fetch, the Pub/Sub reconnect and the Salesforce token refresh)
// draws its waits from a Policy, so they all keep the same guarantees:
//
//   - The n-th wait is Initial×Multiplier^(n-1), capped at Max, plus jitter
//     that only lengthens it, by up to half. No wait is shorter than
//     Initial or longer than Max (near Max the waits are drawn from its last
//     third, so that clients failing together still spread out).
//   - A wait the server asked for (HTTP Retry-After) replaces the drawn one,
//     kept within Initial..MaxRetryAfter, so no answer can make a client
//     retry in a tight loop or sleep for hours; it does not advance the
//     exponential sequence.
//   - MaxAttempts (attempts in all, the first included) and MaxElapsed
//     (no wait that would end past it) bound a retried call when set;
//     otherwise it is retried until its context ends.
//   - Time is injectable (Policy.Now and Policy.Sleep), so tests run the
//     waits in fake time and read them back.
//
// Only the layer that owns a call retries it: a caller of a retried call
// must not retry it again (the failure classes are decided once per layer,
// e.g. salesforce.Classify, and only Transient failures come here).
//
// # Why cenkalti/backoff underneath, and only for the intervals
//
// github.com/cenkalti/backoff/v5 (already a dependency) supplies the
// exponential sequence with its overflow guard and cap (ExponentialBackOff
// with RandomizationFactor 0). Its jitter is not used: it also shortens a
// wait, to half of Initial for the first one, while Initial is documented
// as the shortest wait. Its Retry loop is not used either: it cannot take
// an injected timer or clock (its timer option is unexported and elapsed
// time is read from time.Since), so tests would wait in real time; it
// takes Retry-After only in whole seconds from its own error type and
// resets the sequence on it; and it has no bound on a server-given wait.
// Do and Backoff add those in a few lines.
package retry
