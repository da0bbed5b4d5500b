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
// lease (replay.Store.AcquireLease, renewed at a third of its TTL; under a
// Daemon the supervisor holds it and hands it to the worker). It
// resumes after the stored checkpoint, or at the configured start position
// when the topic never had one; a checkpoint that vanished is refused with
// a *CheckpointVanishedError rather than silently restarting at LATEST.
//
// Every message of the subscription gets a position in a replay.Tracker, in
// stream order. What happens next is decided by mapper.PlanEvent:
//
//   - skip: the event is done at once;
//   - map the event: each record ID of the event (several when Salesforce
//     merged changes) becomes a comment submitted to the uploader — unless
//     the event is a replay that CM may be ahead of: committed before this
//     run began, after a backfill or when resuming after a checkpoint. Its
//     payload is then fetched afresh instead, since a backfill or an
//     earlier run may have put a newer version into CM, and the payload's
//     older text would be billed once going back and once going forward;
//   - fetch: the record IDs go to a fetch batcher, which collects them for
//     a short linger (or up to a number of IDs) and retrieves each object's
//     records in one sObject Collections call — or, when the mapping needs
//     parent relationship fields (Parent.CaseNumber), which Collections
//     does not return, with one SOQL query per 200 IDs;
//   - delete: the comments of the event's records are deleted.
//
// An event is done when every comment it produced has an uploader outcome
// that is delivered or dead-lettered (the dead letter stored first). Only
// then is it marked done in the tracker and released to the subscription,
// so a slow CM stops new credits instead of growing memory. Poison events
// and unmappable records are stored as dead letters with their replay ID,
// then done. A dead letter is stored by the worker's dead-letter writer,
// never in the uploader's outcome callback (which runs under the
// uploader's report lock): a slow store delays only the events whose dead
// letters wait, while every other upload goes on; a refused write is
// tried again, the event unfinished meanwhile. A GAP_OVERFLOW event names no records: Options.Resync re-reads
// the object over REST from the event's commit time before the event is
// done (without a Resync, or when it fails for good, it is dead-lettered).
// A replay.Flusher writes the tracker's committable position under the
// lease's fencing token every FlushInterval.
//
// # Losing the lease
//
// The lease is lost when the store refuses a renewal or the local deadline
// (Lease.Expires) passes without one — a process paused past its TTL finds
// the deadline passed the moment it runs again. Then, at once: intake
// stops, the fetch batcher and the uploader are cancelled (no fetch or
// upload starts any more; requests already sent finish), nothing drains,
// and every later checkpoint write is refused as fenced, locally before
// the store is asked, since the store would still take a write from a
// holder whose lease key has not expired yet. The worker returns
// ErrLeaseLost; what it did not checkpoint, the next holder receives.
//
// # Goroutines
//
// Run owns them all and waits for each before it returns: the
// subscription's (pubsub), the uploader's Run, the Flusher's Run, the fetch
// batcher and, when it acquired the lease itself, the lease renewer. Intake (reading messages, tracking,
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
//
// # The daemon
//
// Daemon runs a deployment: a supervisor per topic of the mapped objects
// (objects sharing a topic share one worker) and a following backfill for
// the polling objects (those without change events). A supervisor first
// takes the topic's lease and keeps renewing it; everything it does with
// the topic (the initial backfill, the worker, a recovery backfill) runs
// under that one lease and stops when it is lost, so of two instances
// starting together only one loads or streams. It stands by (state
// standby, retrying every RetryInterval) while another instance holds the
// lease or after losing it, and never falls back to LATEST:
// when the replay ID is refused (expired) or the checkpoint vanished, it
// records the cause (log and status "recovering"), then by the default
// policy backfills the window from the last checkpoint's commit time less
// RecoveryOverlap (unknown: the oldest backfill watermark, or the
// beginning) to now, and resumes at EARLIEST. Because the window ends
// after EARLIEST's position, nothing falls between. As after an initial
// backfill (below), the retained events committed before the recovery
// backfill began, less StartClockSkew, are passed: the backfill read
// their records later, so replaying them would only re-bill older text.
//
// A topic never streamed starts, by default, with a backfill: the daemon
// records the start instant first (Salesforce's clock from the REST
// client's Date headers, else this host's; stored with the
// topic's state so a restart keeps the first one), loads the topic's
// objects over REST up to that instant (one pass: the load ends however
// busy the org is, since every later change comes through the stream),
// then streams from EARLIEST. Retained events committed
// before the start instant less StartClockSkew are passed without REST
// calls or uploads (Config.SkipCommittedBefore) and the checkpoint moves
// over them: the backfill read their records after they committed, so
// replaying them could only bring back older text and bill it. Every
// change committed after that point comes through the stream, so nothing
// falls between the backfill and the stream; a change committed within
// the skew margin is both backfilled and streamed, at the cost of its
// re-upload. A hard delete committed before the start instant whose
// record queryAll no longer returns is passed too: the backfill never
// delivered that record, so CM holds no comment to delete unless an
// earlier sfcdc backfill put it there.
//
// A load (initial, recovery, GAP_OVERFLOW resync, polling) that reaches
// the org's API budget (backfill.Config.APIBudgetPercent), and a load or
// the stream's record fetch that Salesforce refuses with
// REQUEST_LIMIT_EXCEEDED (salesforce.Classify's Limit: retrying soon only
// adds refused calls), pause only their own topic: state paused, its error
// naming the limit and saying when it resumes (BudgetRetry, or sooner
// when the budget error says so), after which a load resumes from its
// watermark and the stream from its checkpoint. A fetch at the limit
// stops its worker and fetches nothing more; the refused event and every
// later one stay unfinished, so the checkpoint does not pass them.
// The other topics keep streaming and the daemon does not stop. A start
// instant older than 48 hours when a paused initial load resumes is
// replaced by a new one, so the stream still retains the events after
// it when the load ends.
//
// # Monitoring
//
// The Daemon keeps, per topic, its state and counters for as long as it
// lives; Snapshot hands them out as figures.Topic, the one figures type
// the store, the monitor and `sfcdc status` read (they survive worker
// restarts and standby periods). The lease holder alone writes that same
// type as the topic's replay.Status: at each state
// change, every StatusInterval, and "stopped" or "failed" last, before it
// releases the lease, so a standby never overwrites the holder's document.
// The comments CM accepted (and the billable ones) are also added to the
// org's counts of the UTC day in the store (replay.DailyStore, the
// console's "today"): gathered in memory and written once per
// DailyInterval for all the Daemon's topics and when it stops, never a
// write per comment; a crash loses at most one interval's counts. Comments
// of the polling objects and of retried dead letters are not counted there.
// Error texts pass through a redaction of anything credential-shaped first.
// Dead letters carry the change's commit time (EventTime); a fetch refused
// for good (salesforce.Classify's Fatal) dead-letters each record of the
// event on its own, unless no session can be had (salesforce.ErrCannotRefresh):
// then the worker stops with the reason, as the subscriber does, and
// dead-letters nothing. A transient fetch failure is retried with the
// retry package's policy (200 ms growing by half to 30 s, with jitter) for
// as long as the worker runs.
// Options.DeadLetters, when set, retries dead letters while the Daemon
// runs (package deadletter); the Daemon owns its goroutine.
package pipeline
