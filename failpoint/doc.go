// Package failpoint holds the crash points of the fault suite
// (cmd/sfcdc/faults_*_test.go). Its guarantee: in a binary built without
// -tags failpoints every wrapper returns its argument as it is, so a
// release build has no crash point at all; in a binary built with it,
// SFCDC_FAILPOINT=<point>:<n> SIGKILLs the process when the n-th call of
// the point begins, so a test can crash it at an exact place. Nothing
// deferred runs, as in a real crash.
//
// The points of the store and REST wrappers (Store, RESTCredentials) are
// counted over the whole process, initial backfill and stream workers
// alike:
//
//	save-hashes        CM accepted a batch; its content hashes are not saved yet
//	checkpoint-before  a checkpoint write is about to be sent
//	checkpoint-after   a checkpoint write was accepted (fenced) by the store
//	fetch-records      a Salesforce REST call (a record fetch while streaming) is about to be sent
//
// The backfill's own store (BackfillStore) counts its points per wrapped
// store:
//
//	save-hashes     CM accepted a batch; its content hashes are not saved yet
//	save-watermark  records settled; the watermark is not saved yet
//
// All share the variable; a point name one wrapper does not know is
// ignored by it. The command wires the wrappers into the engine
// (engine.Deps.Store and engine.Hooks).
package failpoint
