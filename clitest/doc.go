// Package clitest is test support for the tests of the sfcdc command,
// imported only by tests (as sim/simworld is): cmd/sfcdc's, which run the
// commands in process, and e2e's, which run the built binary. It holds,
// once, what both use: the binary's builds, once per tag and test process (BuildOnce, Binary), a Redis key prefix of
// a test's own whose keys are deleted at cleanup (RedisKeyPrefix), files
// in a test's folder (WriteFile), a buffer several goroutines write
// (Buffer), a finished run of the binary (Run), a started process stopped
// as an operator would (InterruptAtCleanup), and the README (Readme).
//
// Its guarantee: nothing it starts or writes outlives the test that asked
// for it, and a missing prerequisite (Redis, the module root) fails the
// test with one line saying what to provide.
package clitest
