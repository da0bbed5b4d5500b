package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"flag"
	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/sim/simrun"
	"runtime"
	"strconv"
)

// The command tests run sfcdc's commands in this process, through execute
// as main does, each with its own environment (envOf) and its own
// simulators, so independent tests run in parallel. The binary built
// below runs where a real process is the point here: the backfill
// end-to-end and crash tests (runSfcdc, startSimProcess), the demo replay
// tests, a few signal tests. The tests that are mostly a real process
// (the fault catalogue, the README walk-throughs, serve's SIGKILL) are
// in e2e, a package of their own, so go test runs them beside these.

// simBanner is the first line `sfcdc sim` prints.
type simBanner = simrun.Banner

// sfcdcBinary is built once per test binary (TestMain), for the tests
// that need a real process.
var sfcdcBinary string

func TestMain(m *testing.M) {
	useLibraryLogs() // the process edge of the test binary, as in main
	moreParallelTests()
	// The in-process runs that do not choose a monitoring address take any
	// free one: the default (127.0.0.1:9464) belongs to the README
	// walk-through, which e2e runs beside this package and which fails
	// when the address is held.
	defaultMonitoringListen = "127.0.0.1:0"
	if os.Getenv(aloneEnv) == "" { // not the child of runAloneInAChildProcess
		var err error
		if sfcdcBinary, err = clitest.BuildOnce(""); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
	}
	code := m.Run()
	clitest.RemoveBuilds()
	os.Exit(code)
}

// moreParallelTests runs twice as many parallel tests at once as go
// test's default (-parallel GOMAXPROCS: 2 on the project's machine),
// unless -test.parallel was given: these tests mostly wait on their
// simulators, processes, flush intervals and leases, so with the default
// the package used about 0.7 of the 2 cores and was make test's longest
// (about 120 s at load 8 with the default, 85 s with twice as many).
func moreParallelTests() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
	}
}

// envOf is the environment of an in-process command given as exec.Cmd.Env
// takes it (NAME=value, the last of a name wins); nil is this process's
// environment, as for exec.
func envOf(list []string) integration.Env {
	if list == nil {
		return os.LookupEnv
	}
	env := make(map[string]string, len(list))
	for _, kv := range list {
		if name, value, ok := strings.Cut(kv, "="); ok {
			env[name] = value
		}
	}
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// result is a finished sfcdc command.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) output() string { return r.stdout + r.stderr }

// runInProcess runs sfcdc's command line args in this process to its end,
// with the environment env (see envOf).
func runInProcess(t *testing.T, env []string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	code := execute(t.Context(), envOf(env), args, &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// runSfcdc runs the binary to its end, for the tests of a real process.
func runSfcdc(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := clitest.Run(t, sfcdcBinary, env, args...)
	return result{stdout: r.Stdout, stderr: r.Stderr, code: r.Code}
}

// commandOutput is what a running command wrote to one of its outputs;
// a reader can wait for a line.
type commandOutput struct {
	mu    sync.Mutex
	grown *sync.Cond // broadcast on each write and when the command ends
	buf   bytes.Buffer
	ended bool
}

func newCommandOutput() *commandOutput {
	o := &commandOutput{}
	o.grown = sync.NewCond(&o.mu)
	return o
}

func (o *commandOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.grown.Broadcast()
	return o.buf.Write(p)
}

func (o *commandOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func (o *commandOutput) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = true
	o.grown.Broadcast()
}

// awaitLine waits for the first whole line that match accepts, and
// returns it; false when the command ended without one.
func (o *commandOutput) awaitLine(match func(line string) bool) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		text := o.buf.String()
		if i := strings.LastIndexByte(text, '\n'); i >= 0 {
			for line := range strings.SplitSeq(text[:i], "\n") {
				if match(line) {
					return line, true
				}
			}
		}
		if o.ended {
			return "", false
		}
		o.grown.Wait()
	}
}

// runningCmd is a long-running command (run, sim, backfill --follow)
// executing in this process on its own goroutine; stop cancels its
// context, as SIGINT or SIGTERM does to the binary.
type runningCmd struct {
	stdout, stderr *commandOutput
	cancel         context.CancelFunc
	exited         chan struct{}
	code           int // once exited is closed
}

// startInProcess starts sfcdc's command line args in this process with the
// environment env (see envOf). It is stopped at the end of the test.
func startInProcess(t *testing.T, env []string, args ...string) *runningCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &runningCmd{stdout: newCommandOutput(), stderr: newCommandOutput(), cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		defer p.stdout.end()
		defer p.stderr.end()
		p.code = execute(ctx, envOf(env), args, p.stdout, p.stderr)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop cancels the command's context and returns its exit code once it
// has ended.
func (p *runningCmd) stop() int {
	p.cancel()
	<-p.exited
	return p.code
}

// output is everything the command wrote, standard output first.
func (p *runningCmd) output() string { return p.stdout.String() + p.stderr.String() }

// terminate stops the command as SIGTERM does (run.shutdown_grace bounds
// run's drain) and fails the test unless it exits 0.
func (p *runningCmd) terminate(t *testing.T) {
	t.Helper()
	if code := p.stop(); code != 0 {
		t.Fatalf("the command exited %d when stopped, want 0:\n%s", code, p.output())
	}
}

// startSimProcess runs the `sfcdc sim` binary with args and returns its
// banner, for the tests of a real process (the crash tests).
func startSimProcess(t *testing.T, args ...string) simBanner {
	t.Helper()
	return clitest.StartSim(t, sfcdcBinary, args...)
}

// startSim starts a simulator in this process (simrun.Start) with the
// flags of `sfcdc sim` (args), on loopback ports of its own, and returns
// its banner. It generates its traffic until the test ends.
func startSim(t *testing.T, args ...string) simBanner {
	t.Helper()
	var f simFlags
	fl := pflag.NewFlagSet("sim", pflag.ContinueOnError)
	bindSimFlags(fl, &f)
	args = append([]string{"--pubsub-addr", "127.0.0.1:0", "--ca-file", filepath.Join(t.TempDir(), "ca.pem")}, args...)
	if err := fl.Parse(args); err != nil {
		t.Fatalf("sim flags %q: %v", args, err)
	}
	c := f.Config
	c.StreamFaults = f.faults
	if err := c.Check(); err != nil {
		t.Fatalf("sim flags %q: %v", args, err)
	}
	var stopped atomic.Pointer[error] // the --rate generator failed
	c.OnGeneratorStopped = func(err error) { stopped.CompareAndSwap(nil, &err) }
	world, err := simrun.Start(c)
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	generated := make(chan error, 1)
	go func() {
		_, err := world.Generate(ctx)
		generated <- err
	}()
	t.Cleanup(func() {
		if err := stopped.Load(); err != nil {
			t.Errorf("the simulator's generator stopped: %v", *err)
		}
		cancel()
		if err := <-generated; err != nil {
			t.Errorf("the simulator's generator: %v", err)
		}
		world.Close()
	})
	return world.Banner
}

// simEnv points the connection settings at a simulator.
func simEnv(b simBanner) []string {
	return append(os.Environ(),
		"SFCDC_PUBSUB_ADDR="+b.PubSubAddr, "SFCDC_CA_FILE="+b.CAFile, "SFCDC_ACCESS_TOKEN="+b.AccessToken,
		"SFCDC_INSTANCE_URL="+b.InstanceURL, "SFCDC_TENANT_ID="+b.TenantID)
}

// interruptAtCleanup stops a started process when the test ends: SIGINT
// first, then SIGKILL after 10 s.
var interruptAtCleanup = clitest.InterruptAtCleanup

// await polls cond every 25 ms until it holds; it fails the test when the
// command ends first, or after a minute. (Every 10 ms, the looks at
// outputs, stores and scrapes under -race cost more than they saved.)
func (p *runningCmd) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case <-p.exited:
			t.Fatalf("the command ended (exit %d) before %s:\n%s", p.code, what, p.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s:\n%s", what, p.output())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// runCombined runs sfcdc's command line args in this process to its end,
// with the environment env (see envOf), its standard output and error
// into one text, as exec.Cmd.CombinedOutput gives them.
func runCombined(ctx context.Context, env []string, args ...string) (out string, code int) {
	var both syncBuffer
	code = execute(ctx, envOf(env), args, &both, &both)
	return both.String(), code
}

// failpointBinary is sfcdc built with -tags failpoints, once per test
// binary, for the backfill crash tests.
func failpointBinary(t *testing.T) string {
	t.Helper()
	return clitest.Binary(t, "failpoints")
}
