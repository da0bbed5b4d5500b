// Package serve runs many integrations in one process and shares them with
// the other instances of a deployment (`sfcdc serve`).
//
// Guarantee: each instance runs exactly the units membership assigns it
// among the enabled integrations of the registry, and no others: a change
// of the registry (an integration applied, changed, disabled, deleted) or
// of the live set is acted on within one poll interval (1 s by default); a
// unit that leaves this instance is stopped and its run has returned (so it
// drained, flushed its checkpoint and released its lease) before the same
// integration starts again here. One integration's failure never reaches
// another: each runs on its own goroutine with its own retry state; a run
// that fails is restarted with backoff, and one whose failures persist past
// DisableAfter is disabled in the registry with the reason (quota or
// sync_error), which stops it on every instance until an operator enables
// it. What each instance runs, and in which state, is reported to the store
// (ReportStore) every few seconds, so `sfcdc integrations list` shows every
// unit and the instance holding it.
//
// Serve also serves the instance's monitoring (Settings.Listen): /metrics
// carries the per-topic series of exactly the integrations running here,
// each labelled with its name (one label value per integration, gone when
// it stops here), plus the deployment's integrations by state and the
// units held here; /readyz is ready when every unit of every enabled
// integration has a holder.
//
// Admin (`sfcdc integrations`) prints no secret: a spec is shown with
// every sealed field masked, and apply names a changed secret by its key
// only. Its delete with purge removes an integration's stored state only
// once no instance reports running it, so no drain writes a checkpoint
// after the purge. The serve configuration (File) is checked whole before
// anything starts: every problem with its line, one error.
//
// Leases stay the safety net: the runner takes each topic's lease before
// it writes, so two instances that briefly disagree on the live set never
// both write a checkpoint.
package serve
