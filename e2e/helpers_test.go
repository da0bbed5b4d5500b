package e2e

import (
	"os"
	"testing"

	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/sim/simrun"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// sfcdcBinary is the plain build, built once per test binary (TestMain)
// before any test's clock starts.
var sfcdcBinary string

func TestMain(m *testing.M) {
	var err error
	if sfcdcBinary, err = clitest.BuildOnce(""); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	code := m.Run()
	clitest.RemoveBuilds()
	os.Exit(code)
}

// failpointBinary is sfcdc built with -tags failpoints, once per test
// binary.
func failpointBinary(t *testing.T) string {
	t.Helper()
	return clitest.Binary(t, "failpoints")
}

// result is a finished run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) output() string { return r.stdout + r.stderr }

// runSfcdc runs the plain binary to its end.
func runSfcdc(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := clitest.Run(t, sfcdcBinary, env, args...)
	return result{stdout: r.Stdout, stderr: r.Stderr, code: r.Code}
}

// simBanner is the first line `sfcdc sim` prints.
type simBanner = simrun.Banner

// startSimProcess runs the `sfcdc sim` binary with args and returns its
// banner.
func startSimProcess(t *testing.T, args ...string) simBanner {
	t.Helper()
	return clitest.StartSim(t, sfcdcBinary, args...)
}

// cmCommentIDs is every comment ID in the banner's CM source.
func cmCommentIDs(t *testing.T, b simBanner) map[string]bool {
	t.Helper()
	return clitest.CMCommentIDs(t, b)
}

// syncBuffer is a buffer several goroutines write while a test reads it.
type syncBuffer = clitest.Buffer

// writeFile writes a file into the test's directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	return clitest.WriteFile(t, name, content)
}

// testRedisAddr is the shared test Redis (scripts/test.sh sets the variable).
var testRedisAddr = simworld.RedisAddr

// redisKeyPrefix is a key prefix no other test uses; its keys are deleted
// at cleanup.
func redisKeyPrefix(t *testing.T) string {
	t.Helper()
	return clitest.RedisKeyPrefix(t)
}

// readme is the repository's README.
func readme(t *testing.T) string {
	t.Helper()
	return clitest.Readme(t)
}

// interruptAtCleanup stops a started process when the test ends: SIGINT
// first, then SIGKILL after 10 s.
var interruptAtCleanup = clitest.InterruptAtCleanup
