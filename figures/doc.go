// Package figures is the one description of what a topic of `sfcdc run`
// is doing and has done: Topic, with one name per figure. The pipeline
// produces it (Daemon.Snapshot), the store keeps it as the topic's status
// document (replay.Status is this type), /metrics and /readyz read it
// (monitor), `sfcdc status` prints it, and the demo sums it.
//
// Its guarantee: a figure has the same name and meaning wherever it is
// read, because there is no second struct to copy it into; and a Topic
// carries no secret (counts, times, states, names, and an error text the
// producer and the store redact).
//
// It is a leaf package (it imports only the standard library) rather than
// a part of replay or pipeline so that every reader can import it without
// a cycle and without pulling in what it does not use: monitor must not
// import pipeline, and has no reason to import the store's Redis and bbolt
// clients either. The judgement of a topic's health from these figures is
// package health.
package figures
