// Package failpoint holds the crash points of the fault suite
// (cmd/sfcdc/faults_*_test.go). Its guarantee: in a binary built without
// -tags failpoints every wrapper returns its argument as it is, so a
// release build has no crash point at all and reads no variable for them;
// in a binary built with it, an armed point SIGKILLs the process when its
// n-th call begins, so a test can crash it at an exact place, and nothing
// deferred runs, as in a real crash. The variable that arms a point, and
// the points, are in failpoint_on.go (built with the tag only).
//
// The command wires the wrappers into the engine: Store as
// engine.Deps.Store, BackfillStore and RESTCredentials as engine.Hooks.
package failpoint
