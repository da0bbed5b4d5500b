// Package deadletter retries what the pipeline gave up on, so that a
// dead letter whose cause has gone (CM healed, a mapping fixed, a record
// readable again) is delivered without an operator, and one whose cause
// stays is parked after a bounded number of attempts instead of being
// retried forever. A success deletes the dead letter only after CM
// confirmed the comment (or, for an event, after its REST window was read
// and uploaded in full); a failure keeps it, with one more attempt, the
// new error and the time of the next attempt, stored in the same atomic
// step (replay.DeadLetterStore.RecordDeadLetterRetry).
//
// What a retry does depends on what the dead letter names. A record dead
// letter (object and record ID) is re-read over REST (one sObject
// Collections retrieve per object), mapped and uploaded; a record deleted
// since removes its comment when its object's on_delete is delete. An event
// dead letter (no record ID: its payload could not be decoded or its
// records fetched) cannot be re-read from the stream, which serves no
// single event by replay ID; its objects are backfilled over REST within
// five minutes either side of its commit time instead, which re-delivers
// every change it could have carried. Without a commit time there is no
// window: the manual retry says which backfill to run, the automatic one
// parks it.
//
// The automatic retrier (Retrier.Run, run by the daemon) tries each dead
// letter after Policy.RetryAfter (default 5 min) counted from when it was
// written, then after twice the previous wait, capped at Policy.MaxBackoff
// (default 6 h); each wait is shortened by up to a tenth at random, so
// dead letters written together do not retry in lockstep. Once a dead
// letter's Attempts (the original failure counts as the first) reach
// Policy.MaxAttempts (default 10: 9 retries over about 22 hours) it is parked: the
// retrier leaves it alone, and `sfcdc deadletters retry --id` or
// `--all --include-parked` still retries it. Only one instance of a
// deployment retries an org's dead letters at a time: the retrier holds
// the store lease LeaseName for as long as it works, and the others stand
// by.
//
// Time is read from a Clock, so tests move it instead of sleeping; the
// lease alone runs on the wall clock, as the store's lease deadlines do.
// This package does not import pipeline: the daemon runs a Retrier through
// a one-method interface.
package deadletter
