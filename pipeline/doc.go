// Package pipeline wires one Salesforce change-event topic to
// Communications Mining (CM). Its guarantee: a checkpoint never passes an
// event whose comment CM has not accepted or that was not dead-lettered.
// Delivery is therefore at least once; CM's upsert by comment ID and the
// content hashes make the re-sent events after a restart harmless and
// unbilled.
//
// # The topic worker
//
// A Worker owns one topic of one org for as long as it holds the topic's
// lease (replay.Store.AcquireLease, renewed at a third of its TTL). It
// resumes after the stored checkpoint, or at the configured start position
// when the topic never had one; a checkpoint that vanished is refused with
// a *CheckpointVanishedError rather than silently restarting at LATEST.
//
// Every message of the subscription gets a position in a replay.Tracker, in
// stream order. What happens next is decided by mapper.PlanEvent:
//
//   - skip: the event is done at once;
//   - map the event: each record ID of the event (several when Salesforce
//     merged changes) becomes a comment submitted to the uploader;
//   - fetch: the record IDs go to a fetch batcher, which collects them for
//     a short linger (or up to a number of IDs) and retrieves each object's
//     records in one sObject Collections call;
//   - delete: the comments of the event's records are deleted.
//
// An event is done when every comment it produced has an uploader outcome
// that is delivered or dead-lettered (the dead letter stored first). Only
// then is it marked done in the tracker and released to the subscription,
// so a slow CM stops new credits instead of growing memory. Poison events,
// unmappable records and events that need a resync (GAP_OVERFLOW, not yet
// handled here) are stored as dead letters with their replay ID, then done.
// A replay.Flusher writes the tracker's committable position under the
// lease's fencing token every FlushInterval.
//
// # Goroutines
//
// Run owns them all and waits for each before it returns: the
// subscription's (pubsub), the uploader's Run, the Flusher's Run, the lease
// renewer and the fetch batcher. Intake (reading messages, tracking,
// planning, mapping events, submitting) runs on Run's own goroutine;
// uploader outcomes finish events on the uploader's goroutines.
//
// # Shutdown
//
// Cancelling Run's context stops intake (the subscription ends), lets the
// fetch batcher finish what it holds, waits up to DrainTimeout for the
// uploader's outcomes, stops the uploader, flushes the checkpoint a last
// time and releases the lease. Whatever did not finish is simply not
// checkpointed: the next holder receives it again.
package pipeline
