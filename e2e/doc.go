// Package e2e holds the tests of sfcdc as a built binary, where a real
// process is the point: the fault catalogue of `sfcdc run` (SIGKILL at
// each crash point, Redis restarted or gone, stream and CM faults, the
// invariant checker of reliability.md §3), `sfcdc serve`'s instances
// surviving a SIGKILL, and the README's walk-throughs played in one bash
// session as written. They are mostly waiting on processes, leases and
// backoffs, so they are a package of their own: go test runs them beside
// cmd/sfcdc's in-process tests instead of after them. The catalogue runs
// first and alone in this process (2 scenarios at once: its bound on
// duplicates needs daemons that keep up); the others then run side by
// side, the README sessions one at a time (both write the repository's
// bin/).
//
// Its guarantee: every test builds nothing but through clitest (one plain
// build and one failpoints build per test binary), leaves no process, file
// or Redis key behind, and fails with the processes' output when a
// scenario does not converge. There is no code here besides the tests.
package e2e
