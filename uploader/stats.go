package uploader

import "sync/atomic"

// Stats are the uploader's counters since New. The CM counts (New,
// Updated, Unchanged) are CM's own answers and are the cost meter.
type Stats struct {
	// Submitted counts items handed to Submit.
	Submitted int64
	// Skipped counts comments not sent because their hashes matched.
	Skipped int64
	// Delivered counts comments CM accepted in a sync.
	Delivered int64
	// Deleted counts comments deleted (or already absent).
	Deleted int64
	// DeadLettered counts comments CM refused on their own.
	DeadLettered int64
	// NotDelivered counts items reported with ErrStopped or a FatalError.
	NotDelivered int64
	// SyncRequests and DeleteRequests count HTTP requests, retries included.
	SyncRequests, DeleteRequests int64
	// Retries counts waits before a retry; Splits counts batches split to
	// isolate refused comments.
	Retries, Splits int64
	// Shrinks counts syncs of several comments that outlasted
	// RequestTimeout, each of which halved the comments per sync.
	Shrinks int64
	// New, Updated and Unchanged add up CM's sync answers.
	New, Updated, Unchanged int64
	// Creates, TextUpdates and MetadataUpdates count delivered comments by
	// what their hashes said.
	Creates, TextUpdates, MetadataUpdates int64
	// BillableUnits estimates CM's charge: new comments plus updated ones
	// whose text we changed (at most CM's updated count per batch).
	BillableUnits int64
}

type counters struct {
	submitted, skipped, delivered, deleted, deadLettered, notDelivered atomic.Int64
	syncRequests, deleteRequests, retries, splits, shrinks             atomic.Int64
	cmNew, cmUpdated, cmUnchanged                                      atomic.Int64
	creates, textUpdates, metadataUpdates, billable                    atomic.Int64
}

// Stats returns a snapshot of the counters.
func (u *Uploader[T]) Stats() Stats {
	c := &u.counters
	return Stats{
		Submitted: c.submitted.Load(), Skipped: c.skipped.Load(), Delivered: c.delivered.Load(),
		Deleted: c.deleted.Load(), DeadLettered: c.deadLettered.Load(), NotDelivered: c.notDelivered.Load(),
		SyncRequests: c.syncRequests.Load(), DeleteRequests: c.deleteRequests.Load(),
		Retries: c.retries.Load(), Splits: c.splits.Load(), Shrinks: c.shrinks.Load(),
		New: c.cmNew.Load(), Updated: c.cmUpdated.Load(), Unchanged: c.cmUnchanged.Load(),
		Creates: c.creates.Load(), TextUpdates: c.textUpdates.Load(), MetadataUpdates: c.metadataUpdates.Load(),
		BillableUnits: c.billable.Load(),
	}
}
