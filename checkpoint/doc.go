// Package checkpoint is what an operator's tool does to a topic's
// checkpoint (`sfcdc replay show/set/reset`, the demo's replay pass): read
// and judge it, and set or delete it under the topic's lease.
//
// Guarantee: a change is written only under the topic's lease, taken by a
// holder unique to the process, so a running worker (which holds the
// lease) is never overwritten: Acquire refuses with ErrHeld, naming the
// holder, and a lease lost meanwhile makes the write fail with
// replay.ErrFenced. Describe judges the replay position's age against the
// 72 h retention exactly as `sfcdc status` does (health.ReplayVerdict).
package checkpoint
