// Package uploader delivers mapped comments to Communications Mining (CM)
// and reports exactly one outcome per submitted item: delivered (CM holds
// that version, or it was already there), dead-lettered with CM's reason,
// or not delivered because the uploader stopped. Unchanged comments cost no
// request; nothing is billed twice for the same text.
//
// How it works:
//
//   - Submit queues mapper results. While requests are in flight the next
//     batch keeps collecting, bounded by comment count and bytes; a batch
//     leaves when it is full, when Linger (DeleteLinger for deletes) has
//     passed, or on Flush, and at most MaxConcurrentRequests requests run
//     at once. A full queue blocks Submit, which is the back-pressure the
//     pipeline relies on.
//   - IDs are deduplicated while queued (the last version wins and the
//     earlier items share its outcome), and a comment whose previous version
//     is still in flight waits for it, so CM never sees versions out of order.
//   - Before queueing, the HashStore tells what was last uploaded for each
//     ID; mapper.Decide turns that into create, update text (billable),
//     update metadata (not billed), unchanged (reported at once, no request)
//     or delete. The store never describes a version CM no longer holds:
//     a request that changes or deletes a comment whose hashes are stored
//     (or may be, when the store could not be read) forgets them first, and
//     waits while the store is unreachable.
//   - Each answer is classified in one place (classify.go): 2xx delivered;
//     408, 409, 429, 5xx and network errors retried with exponential backoff
//     and jitter, honouring Retry-After; 400, 413 and 422 split the batch in
//     halves until the rejected comments are alone, which become dead
//     letters while the rest go through; 401, 403 and a missing source stop
//     the uploader with a FatalError. Retries happen here only: the HTTP
//     client does not retry, and callers must not.
//   - A 2xx answer that is not CM's JSON (a web page, another API, an empty
//     body, or one over 1 MiB, which is not read further) is retried, but
//     three in a row, or one whose Content-Type is not JSON, stop the
//     uploader with ErrNotCMAPI: base_url points at something else than the
//     CM API root, and the error shows its two forms.
//   - A request still waiting for its answer after SlowRequestAfter (30 s)
//     is logged once, as a warning naming its kind and comment count,
//     long before RequestTimeout (2 min) ends it and it is retried.
//   - The API token is a Secret: it never appears in errors, logs or
//     formatted values.
//
// # Why cenkalti/backoff only for the intervals
//
// github.com/cenkalti/backoff/v5 provides the exponential intervals
// (ExponentialBackOff, without its RandomizationFactor: that jitter also
// shortens a wait, to half of InitialBackoff for the first one, while
// InitialBackoff is documented as the shortest wait). retry.go adds jitter
// that only lengthens a wait, up to half, and keeps it within MaxBackoff.
// Its Retry loop is not used: it cannot take an injected timer, so tests
// would wait in real time, and it honours Retry-After only in whole seconds
// from its own error type. The loop in retry.go is a few lines, uses the
// injectable Options.Sleep, and applies Retry-After in seconds or as an
// HTTP date.
package uploader
