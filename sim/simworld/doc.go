// Package simworld is the one simulated world every package's tests run
// against: a simulated Salesforce org, a simulated Communications Mining
// behind a switchable fault gate, a store, and the REST and Pub/Sub clients
// an integration needs, all over real sockets in this process.
//
// Guarantee: New returns a world whose every part is started, reachable and
// empty of anything another test wrote, and whose every part is closed (and,
// for Redis, whose every key is deleted) by t.Cleanup when the test ends. The
// store is the embedded file store in t.TempDir() unless the test asks for
// Redis, so a test that does not exercise Redis itself needs no Redis server;
// one that does fails at once, naming SFCDC_TEST_REDIS_ADDR, when none
// answers.
//
// It is test support (like replay/replaytest), kept an ordinary package so
// the tests of every package can import it; production code never does.
package simworld
