package replay

import (
	"context"
	"time"
)

// Store is all of sfcdc's durable state. Implementations: RedisStore and
// FileStore; package replaytest checks any implementation against this
// contract. All methods are safe for concurrent use, honour ctx, and return
// errors as "verb object: cause" wrapping the sentinels of this package.
type Store interface {
	CheckpointStore
	LeaseStore
	WatermarkStore
	HashStore
	DeadLetterStore
	StatusStore
	DailyStore
	RegistryStore
	MemberStore
	ReportStore
	GrantStore
	OAuthStateStore
	// Close releases connections or the file; the Store is unusable after.
	Close() error
}

// Both implementations satisfy Store.
var (
	_ Store = (*RedisStore)(nil)
	_ Store = (*FileStore)(nil)
)

// CheckpointStore keeps one checkpoint per (org, topic).
type CheckpointStore interface {
	// Checkpoint returns the topic's checkpoint. It returns ErrNotFound if
	// the topic never had one, and ErrCheckpointVanished if it had one that
	// is gone: never resume at LATEST on either.
	Checkpoint(ctx context.Context, org, topic string) (Checkpoint, error)
	// SaveCheckpoint stores cp.ReplayID and cp.CommitTime for the lease's
	// topic if lease is the topic's current lease (same token, not expired),
	// and returns ErrFenced otherwise. The store stamps WrittenAt and Token.
	// Saving the same checkpoint twice is harmless, so retries are safe.
	SaveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error
}

// LeaseStore grants one lease per (org, topic), each with a fencing token
// greater than any granted before for that topic.
type LeaseStore interface {
	// AcquireLease grants the topic's lease to holder for ttl, or returns a
	// *LeaseHeldError (matching ErrLeaseHeld) while another holder has it.
	// If holder already has it, the same lease is returned with its TTL
	// restarted, so a retried acquisition is harmless.
	AcquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error)
	// RenewLease restarts the lease's TTL and returns it with a new Expires,
	// or ErrFenced if it is no longer held with this token.
	RenewLease(ctx context.Context, lease Lease) (Lease, error)
	// ReleaseLease gives the lease up so another holder can take it at once.
	// It returns ErrFenced if another holder has the lease now, and nil if
	// the lease is already gone.
	ReleaseLease(ctx context.Context, lease Lease) error
	// RenewLeases renews every lease as RenewLease would, in one round
	// trip (Redis: one pipeline; the file store: one critical section), so
	// an instance holding thousands of leases renews them all at once.
	// renewed[i] and errs[i] answer leases[i]: a refused renewal is an
	// error matching ErrFenced for that lease only (the others still
	// renew), an invalid lease an error for that lease only, and a failed
	// round trip the same error for every lease sent. Each Expires is
	// measured from before the round trip started, as RenewLease's.
	RenewLeases(ctx context.Context, leases []Lease) (renewed []Lease, errs []error)
}

// WatermarkStore keeps the backfill position per (org, object). Watermarks
// are not fenced: the backfill runs under its topic's lease.
type WatermarkStore interface {
	// Watermark returns the object's watermark or ErrNotFound.
	Watermark(ctx context.Context, org, object string) (Watermark, error)
	// SaveWatermark replaces the object's watermark.
	SaveWatermark(ctx context.Context, org, object string, w Watermark) error
}

// HashStore keeps the content hashes of uploaded comments per (org,
// comment ID). Batches may hold thousands of IDs; implementations pipeline
// or batch them into few round trips.
type HashStore interface {
	// Hashes returns the stored hashes of the given comments; IDs without
	// hashes are absent from the map. A stored value that cannot be decoded
	// counts as absent too: the comment is sent again and its hashes
	// rewritten, which costs one upload, where an error would stall every
	// batch holding that comment.
	Hashes(ctx context.Context, org string, commentIDs []string) (map[string]Hashes, error)
	// SaveHashes stores (replaces) the hashes of each comment in batch.
	SaveHashes(ctx context.Context, org string, batch map[string]Hashes) error
	// DeleteHashes forgets the given comments; unknown IDs are ignored.
	DeleteHashes(ctx context.Context, org string, commentIDs []string) error
}

// DeadLetterStore keeps dead letters per org, ordered by arrival.
type DeadLetterStore interface {
	// AddDeadLetter stores d (ID ignored; At set to now when zero) and
	// returns its new ID.
	AddDeadLetter(ctx context.Context, org string, d DeadLetter) (string, error)
	// DeadLetter returns one dead letter or ErrNotFound.
	DeadLetter(ctx context.Context, org, id string) (DeadLetter, error)
	// ListDeadLetters returns up to limit dead letters, newest first,
	// starting below the ID before ("" for the newest). Pass the last ID of
	// a page as before to get the next page; an empty page is the end.
	// limit ≤ 0 means DefaultDeadLetterPage; it is capped at
	// MaxDeadLetterPage. Newest first, because an operator looks at what
	// just failed; a retry tool pages through all of them either way.
	ListDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error)
	// DeleteDeadLetter removes one dead letter (e.g. after a successful
	// retry); ErrNotFound if it does not exist.
	DeleteDeadLetter(ctx context.Context, org, id string) error
	// PurgeDeadLetters removes all dead letters of the org and says how many.
	// A purge cut short (timeout, lost connection) returns how many it
	// removed with the error; run it again for the rest.
	PurgeDeadLetters(ctx context.Context, org string) (int, error)
	// CountDeadLetters says how many dead letters the org has.
	CountDeadLetters(ctx context.Context, org string) (int, error)
	// CountParkedDeadLetters says how many of them are parked.
	CountParkedDeadLetters(ctx context.Context, org string) (int, error)
	// RecordDeadLetterRetry notes a failed retry of a dead letter in one
	// atomic step: Attempts+1, Error replaced by r.Error (stored redacted,
	// cut to 4 KiB), RetriedAt set to now, NextAttemptAt to
	// r.NextAttemptAt, and Parked set once Attempts reaches r.ParkAt (a
	// parked dead letter stays parked; its NextAttemptAt is cleared). It
	// returns the updated dead letter, or ErrNotFound if it is gone
	// (deleted or purged meanwhile), in which case nothing is written.
	// Atomic, so two retries of the same entry count two attempts and
	// never resurrect a deleted one.
	RecordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error)
}

// StatusStore keeps one monitoring document per (org, topic). Status writes
// are not fenced: only the lease holder of a topic writes its status.
type StatusStore interface {
	// SaveStatus replaces the topic's status document; UpdatedAt is stamped.
	SaveStatus(ctx context.Context, org, topic string, s Status) error
	// SaveStatuses replaces many topics' documents as SaveStatus would,
	// in one round trip where the store can (StatusBatcher's), answering
	// each document apart: errs[i] is docs[i]'s (nil: written).
	SaveStatuses(ctx context.Context, docs []TopicStatus) (errs []error)
	// Status returns the topic's status document or ErrNotFound.
	Status(ctx context.Context, org, topic string) (Status, error)
	// Statuses returns the status documents of all the org's topics, in
	// topic order.
	Statuses(ctx context.Context, org string) ([]Status, error)
}
