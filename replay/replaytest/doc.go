// Package replaytest is the conformance suite of replay.Store.
//
// Guarantee: a store that passes Run keeps every part of the contract the
// pipeline relies on — checkpoints, leases with fencing of stale holders and
// expiry, watermarks, binary-safe replay IDs, comment hashes, dead letters,
// status and concurrent use (run it with -race) — so any store that passes
// can be configured in place of another.
package replaytest
