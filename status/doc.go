// Package status reads what the store says about an org's topics — each
// topic's status document, its checkpoint, the org's dead letters — and
// judges every topic with health: the rows `sfcdc status` prints.
//
// Guarantee: Read never writes to the store; every topic that has a status
// document or is configured gets exactly one row, sorted by topic, judged
// by health.Judge with the same figures and policy /readyz uses, and
// carries the checkpoint the store holds now (a vanished one is flagged,
// never aged).
package status
