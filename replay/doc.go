// Package replay keeps all of sfcdc's durable state behind one Store
// contract, and guarantees that a checkpoint is only ever written by the
// current lease holder of its topic, is stored byte for byte as the caller
// gave it, and is never silently replaced by "start from LATEST": a topic
// whose checkpoint disappeared reads as ErrCheckpointVanished, not as a new
// topic. Together with Tracker, which only offers the highest replay ID
// before which every event is handled, this is the "commit after sink" half
// of the at-least-once delivery contract.
//
// # What it stores
//
//   - Checkpoints: the replay ID (opaque bytes, never parsed or compared for
//     order) per (org, topic), with the event's commit time and the time and
//     fencing token of the write, plus a marker that the topic ever had one.
//   - Leases: one holder per (org, topic), acquired with a fencing token that
//     only grows; every checkpoint write checks it (ErrFenced otherwise). A
//     lease avoids double work; the fencing check is what keeps the
//     checkpoint correct when a paused holder wakes up after losing it.
//   - Watermarks: the backfill position per (org, object).
//   - Content hashes: what was last uploaded per comment ID, so unchanged
//     comments are not re-sent (and billed); OrgHashes is one org's
//     hashes as the uploader's HashStore, the one adapter every uploader
//     of an org uses.
//   - Dead letters: events or records given up on, with reason and attempt
//     count but no record body unless the caller adds one; each failed
//     retry stores its error, the next attempt time and, at the caller's
//     limit, the parked flag, in one atomic step.
//   - Status: one document per topic (the topic's figures.Topic) for `sfcdc
//     status` and operators, under field names that are a public contract.
//
// # Implementations
//
// RedisStore runs on go-redis v9's UniversalClient, so one code path serves a
// single node, Sentinel (failover to a promoted replica) and Cluster; the
// client re-dials and retries network errors and LOADING/READONLY on its own.
// Every key of one org carries the org as a hash tag, "sfcdc:{<org>}:…", so
// the org's keys share one Cluster slot and the Lua scripts that implement
// leases and fenced writes stay legal. Writes of many items are pipelined.
// Durability is Redis's: run the checkpoint Redis with appendonly yes and
// appendfsync always (a few µs per event at our batch sizes).
//
// FileStore is the embedded store for a single machine without Redis. It
// uses bbolt (go.etcd.io/bbolt): one file, ACID transactions that fsync on
// commit, a file lock that keeps a second process out, pure Go, and
// maintained by etcd, which depends on it. Its leases live in memory (there
// is only one process) but fencing tokens are persisted, so the API and its
// guarantees are the same.
//
// Package replaytest holds the conformance suite both implementations pass.
//
// # Limits worth knowing
//
// A Redis that loses everything (no persistence, a failover to an empty
// replica) loses the "ever had a checkpoint" marker too: the topic then reads
// as ErrNotFound. The pipeline must therefore treat "no checkpoint" as "start
// from the configured initial position", never as LATEST. A Redis failover
// can also roll a checkpoint back (asynchronous replication): that only
// causes duplicates, which Communications Mining's upsert absorbs.
//
// Error text is stored redacted whatever the caller did: every write of a
// status's LastError and of a dead letter's Error passes through
// redact.Text inside the store (both backends; replaytest checks it), and no
// field is meant for credentials. Callers still redact what they log.
package replay
