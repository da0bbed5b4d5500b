package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"golang.org/x/term"
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

func runDemo(cmd *cobra.Command, f demoFlags) error {
	if f.events < 1 {
		return usageError{fmt.Errorf("--events %d: give a positive number of events", f.events)}
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(demoMemoryLimit)
		defer debug.SetMemoryLimit(old)
	}
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	var view *demoView
	if !f.json {
		view = newDemoView(out, isTerminalWriter(out))
	}
	store, err := openDemoStore(ctx, f.redisURL)
	if err != nil {
		return err
	}
	defer store.close()
	view.say("state: %s", store.desc)

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

	cm, err := startDemoCM()
	if err != nil {
		return err
	}
	defer cm.Close()
	steps := &stepTimes{}
	view.say("streaming %d events (seed %d) through the pipeline …", f.events, f.seed)
	view.say("%s", liveLegend)
	res, err := runDemoPass(ctx, demoPass{events: f.events, seed: f.seed, store: store.store, cm: cm, steps: steps, replaySafe: f.replay, view: view})
	if err != nil {
		return reportInterrupted(out, view, "pass 1", res, store.kind, f.json, err)
	}
	view.summary("pass 1", res)
	if f.replay {
		if err := resetDemoCheckpoints(ctx, store.store, res.org); err != nil {
			return err
		}
		view.say("replaying the same %d events from a reset checkpoint …", res.Events)
		res, err = runDemoPass(ctx, demoPass{events: f.events, seed: f.seed, store: store.store, cm: cm, steps: steps, replay: true, replaySafe: true, view: view})
		if err != nil {
			return reportInterrupted(out, view, "replay", res, store.kind, f.json, err)
		}
		view.summary("replay", res)
	}
	return printDemoEnd(out, res, store.kind, f.json)
}

// printDemoEnd prints the JSON object (--json) or the peak RSS line.
func printDemoEnd(out io.Writer, res demoResult, storeKind string, asJSON bool) error {
	res.PeakRSSMB = peakRSSMB()
	res.Store = storeKind
	if asJSON {
		return json.NewEncoder(out).Encode(res)
	}
	fmt.Fprintf(out, "peak RSS %.0f MB\n", res.PeakRSSMB)
	return nil
}

// reportInterrupted prints the summary so far of a pass stopped by an
// interrupt (Ctrl-C, SIGTERM) before err goes back to the caller; any
// other failure is only returned.
func reportInterrupted(out io.Writer, view *demoView, title string, res demoResult, storeKind string, asJSON bool, err error) error {
	if !res.Interrupted {
		return err
	}
	view.summary(title, res)
	if perr := printDemoEnd(out, res, storeKind, asJSON); perr != nil {
		return errors.Join(err, perr)
	}
	return err
}

// isTerminal reports whether w is a terminal (the live view then rewrites
// one line instead of printing a line per tick).
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// errDemoStalled is returned when the pipeline stops making progress.
var errDemoStalled = errors.New("the pipeline made no progress for 60 s")

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
