// Package engine runs one integration end to end. Its guarantee: Run
// streams the configured objects' changes from the org into the CM source,
// checkpointing only what CM accepted, until its context ends; then it
// drains (uploads in flight, the last checkpoints, the leases) and returns,
// having waited for every goroutine it started.
//
// New(spec, deps) checks the integration.Spec and builds, without asking
// any service, the session source (Credentials: OAuth or a fixed session),
// the REST client and the mapping. Run connects (the session names the org
// the state is kept under, remembered in the store for the tools that read
// only the store: StoredOrg), finds the objects to poll, builds the
// Pub/Sub client (unless Deps shares one), the backfill and the
// pipeline.Daemon, and runs the daemon. Backfill builds the same backfill
// for a one-off load. Snapshot and MonitorProcess are the figures a
// monitor serves; the Check functions are `sfcdc validate`'s pre-flight.
//
// What the process owns (the store, the logger, the incident tracker, a
// Pub/Sub client to share) comes in Deps and is never closed here: one
// process may run several engines over one store. The engine reads no
// flags and no environment; sfcdc's cmd does, and so can any Go program
// that embeds the engine (engine_test.go does, against the simulators).
package engine
