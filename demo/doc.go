// Package demo runs sfcdc's end-to-end demo and benchmark in one process:
// a simulated Salesforce org and a simulated Communications Mining API on
// loopback sockets, generated support traffic, and the real pipeline
// (engine.New(...).Run) between them.
//
// Guarantee: Run streams exactly Options.Events change events (fixed by
// Options.Seed) and accounts for every one of them in its Result: the
// "what became of it" figures add up to Result.Events. A Replay run
// streams the same traffic a second time from a reset checkpoint and
// reports that pass, which sends CM nothing billable. The state lives in
// Redis under a key prefix of its own, or in an embedded store in a
// temporary folder, and both are removed when Run returns.
package demo
