package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/sfcdc/sfcdc/demo"
)

// demoFlags are the knobs of `sfcdc demo`.
type demoFlags struct {
	events     int
	json       bool
	redisURL   string
	replay     bool
	seed       uint64
	cpuProfile string
	memProfile string
}

// demoMemoryLimit is the Go heap's soft limit during the demo (unless
// GOMEMLIMIT says otherwise): the collector works harder near it instead
// of letting the heap double, which keeps the whole process — simulators
// included — within the benchmark's 150 MB of RSS. Measured: 125 MiB
// peaks at 141-143 MB RSS; 112 MiB at 128-130 MB but with a third more GC
// work (1-2k events/s less).
const demoMemoryLimit = 125 << 20

func newDemoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--events N] [--json] [--redis URL] [--replay]",
		Short: "Run the whole pipeline against a simulated org and a simulated CM, in one process",
		Long: "Starts the simulated Salesforce org (Pub/Sub and REST over loopback sockets) and the simulated\n" +
			"Communications Mining API in this process, generates support traffic (Email-to-Case emails of\n" +
			"5-10 KB with HTML, case updates that need a REST fetch, tasks, deletes and undeletes) and streams\n" +
			"it through the real pipeline, the same one `sfcdc run` uses. State goes to Redis when --redis is\n" +
			"given or one answers at 127.0.0.1:6379 (under a key prefix of its own, deleted at the end), to\n" +
			"the embedded file store otherwise. A live line shows events, comments created/updated/unchanged,\n" +
			"billable units and lag; a summary follows. --json prints only one JSON object at the end.\n" +
			"--replay then streams the very same traffic a second time from a reset checkpoint and reports\n" +
			"that second pass: every comment is unchanged, so it costs no CM request and no billable unit.\n" +
			"It is also the end-to-end benchmark (`make bench`).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.events, "events", 20000, "stop after this many change events")
	fl.BoolVar(&f.json, "json", false, "print only one JSON object with the figures at the end")
	fl.StringVar(&f.redisURL, "redis", "", "Redis URL for the state (default: 127.0.0.1:6379 if it answers, else the embedded store)")
	fl.BoolVar(&f.replay, "replay", false, "stream the same traffic again from a reset checkpoint and report that pass (billable units 0)")
	fl.Uint64Var(&f.seed, "seed", 7, "seed of the simulated org and its traffic")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the measured passes to FILE")
	fl.StringVar(&f.memProfile, "memprofile", "", "write an allocation profile (go tool pprof -sample_index=alloc_space) to FILE at the end")
	return cmd
}

// demoDefaultRedisEnv moves the Redis the demo tries when --redis is not
// given (a machine whose Redis is elsewhere, or a test that needs none to
// answer).
const demoDefaultRedisEnv = "SFCDC_DEMO_DEFAULT_REDIS"

func runDemo(cmd *cobra.Command, f demoFlags) error {
	if f.events < 1 {
		return usageError{fmt.Errorf("--events %d: give a positive number of events", f.events)}
	}
	env := commandEnv(cmd.Context())
	if limit, _ := env("GOMEMLIMIT"); limit == "" {
		defer memoryLimit.hold(demoMemoryLimit)()
	}
	defaultRedisURL, _ := env(demoDefaultRedisEnv)
	out := cmd.OutOrStdout()
	opts := demo.Options{Events: f.events, Seed: f.seed, RedisURL: f.redisURL, DefaultRedisURL: defaultRedisURL, Replay: f.replay}
	if !f.json {
		opts.Observer = demo.NewView(out, isTerminal(out))
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return usageError{fmt.Errorf("--cpuprofile: %w", err)}
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.memProfile != "" {
		defer writeAllocProfile(f.memProfile)
	}
	res, err := demo.Run(cmd.Context(), opts)
	switch {
	case errors.Is(err, demo.ErrRedisURL):
		return usageError{fmt.Errorf("--redis %w; give a URL like redis://127.0.0.1:6379", err)}
	case errors.Is(err, demo.ErrNoRedis):
		return fmt.Errorf("--redis: %w; start one there, or leave out --redis to use the embedded store", err)
	case err != nil && !res.Interrupted:
		return err
	}
	// A pass stopped by an interrupt (Ctrl-C, SIGTERM) still prints its
	// figures so far before err goes back.
	return errors.Join(err, demo.WriteEnd(out, res, f.json))
}

// writeAllocProfile saves where the run allocated (every sample since the
// start); a failure only warns, the figures are already printed.
func writeAllocProfile(path string) {
	pf, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(pf, 0)
		if cerr := pf.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sfcdc demo: --memprofile:", err)
	}
}
