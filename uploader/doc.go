// Package uploader delivers mapped comments to Communications Mining (CM)
// and reports exactly one outcome per submitted item: delivered (CM holds
// that version, or it was already there), dead-lettered with CM's reason,
// or not delivered because the uploader stopped. Unchanged comments cost no
// request; nothing is billed twice for the same text, and a comment is
// billed at most once per distinct text that is its newest at send time:
// a version whose newer version has already been submitted is never sent
// again, not even by the retry of a request that carried it.
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
//   - Every attempt of a sync request, first or retry, sends the newest
//     version of each of its comments: a version that waits behind the
//     request takes the place of the one the request was cut with, and the
//     replaced items share its outcome. Its action is decided against the
//     hashes stored before the request (and, where that says unchanged, is
//     the replaced version's, since an attempt whose answer was lost may
//     have reached CM); those hashes were forgotten once, before the first
//     attempt, and the newest version's are stored once CM accepts it. A
//     waiting delete instead takes the replaced items and follows the
//     request, which no longer carries that comment. So a request retried
//     through 429s, 5xx or dropped connections while a record keeps
//     changing bills its newest text once, not every version it held.
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
//   - A real CM takes longer over a sync the more comments it carries. A
//     sync of several comments that outlasts RequestTimeout is therefore
//     not retried whole (it would time out again, for ever, making CM read
//     them all each time): it halves the comments per sync (an atomic cap,
//     batchcap.go, at first MaxBatchComments), and its comments and every
//     later batch go in syncs within the cap; each sync accepted at the cap
//     grows it back by an eighth. Comments CM applied before the timeout
//     come back unchanged, not billed. A single comment that times out is
//     retried like any transient failure.
//   - The API token is a Secret: it never appears in errors, logs or
//     formatted values.
//
// # Retries
//
// The waits come from the one retry policy of sfcdc (package retry):
// exponential from InitialBackoff, jitter that only lengthens a wait,
// never above MaxBackoff, Retry-After honoured within
// InitialBackoff..MaxRetryAfter and injectable sleep (Options.Sleep). The
// loop itself is here (retry.go) because an attempt and the wait after it
// run under different contexts: a request in flight may finish during the
// shutdown grace, a new wait may not.
package uploader
