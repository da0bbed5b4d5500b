package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// demoOutcomeKeys are the --json figures that say what became of each
// event: they add up to "events".
var demoOutcomeKeys = []string{"comments_new", "comments_updated", "comments_sent_unchanged", "events_merged",
	"comments_unchanged", "events_deleted", "events_no_mapped_change", "events_gone_before_fetch", "events_unmapped",
	"events_covered_by_backfill", "events_dead_lettered", "events_in_flight"}

// demoSeedKeys depend only on --seed and --events, not on timing.
var demoSeedKeys = []string{"events", "traffic_creates", "traffic_updates", "traffic_undeletes", "traffic_deletes",
	"traffic_unmapped", "traffic_other", "events_no_mapped_change", "events_unmapped", "events_needing_fetch"}

func TestDemoRunsOfOneSeedGiveTheSameTrafficAndOutcomesThatAddUpToTheEvents(t *testing.T) {
	t.Parallel()
	var runs []map[string]float64
	for range 2 {
		// 1,500: the traffic's kinds all occur (creates, updates, deletes,
		// undeletes, unmapped), and the figures of a seed do not depend on
		// the count.
		r := runDemoJSON(t, nil, "--events", "1500", "--seed", "11", "--redis", testRedisURL())
		sum := 0.0
		for _, k := range demoOutcomeKeys {
			sum += r[k]
		}
		if sum != r["events"] || r["events_in_flight"] != 0 {
			t.Fatalf("the outcomes add up to %v (%v in flight), want all %v events: %v", sum, r["events_in_flight"], r["events"], r)
		}
		traffic := r["traffic_creates"] + r["traffic_updates"] + r["traffic_undeletes"] + r["traffic_deletes"] + r["traffic_unmapped"] + r["traffic_other"]
		if traffic != r["events"] {
			t.Fatalf("the traffic adds up to %v, want %v: %v", traffic, r["events"], r)
		}
		if r["billable_units"] != r["comments_new"]+r["comments_updated_text"] {
			t.Fatalf("billable %v, want new %v + text updates %v", r["billable_units"], r["comments_new"], r["comments_updated_text"])
		}
		runs = append(runs, r)
	}
	for _, k := range demoSeedKeys {
		if runs[0][k] != runs[1][k] {
			t.Errorf("%s: %v then %v with the same seed", k, runs[0][k], runs[1][k])
		}
	}
}

// demoTextEvents is the traffic of the shared human-output run: 3,000
// events (it was 8,000) still take several half-second ticks under the
// race detector, so the live line is printed many times over; a longer
// run stays reachable with -demo-text-events.
var demoTextEvents = flag.Int("demo-text-events", 3000, "events of the `sfcdc demo` run whose human output TestDemoSummary… and TestDemoLiveCounters… read")

// demoTextOutput is one `sfcdc demo` run with its human output (not a
// terminal: a live line per tick), shared by the tests that read it.
var demoTextOutput = sync.OnceValues(func() (string, error) {
	out, code := runCombined(context.Background(), demoEnv(), "demo", "--events", strconv.Itoa(*demoTextEvents), "--redis", testRedisURL())
	if code != 0 {
		return out, fmt.Errorf("exit %d", code)
	}
	return out, nil
})

func demoText(t *testing.T) string {
	t.Helper()
	out, err := demoTextOutput()
	if err != nil {
		t.Fatalf("sfcdc demo: %v\n%s", err, out)
	}
	return out
}

var (
	passLine     = regexp.MustCompile(`(?m)^(pass 1|replay)(?: \(interrupted\))?: (\d+) events in`)
	outcomeLine  = regexp.MustCompile(`^ +(\d+) (.+)$`)
	billableLine = regexp.MustCompile(`billable units: (\d+) = (\d+) new \+ (\d+) text updates`)
)

// outcomeRowsOf returns the "what became of the events" rows of the
// first summary in out, by their text.
func outcomeRowsOf(t *testing.T, out string) (events int, rows map[string]int) {
	t.Helper()
	m := passLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in:\n%s", out)
	}
	events, _ = strconv.Atoi(m[2])
	rest := out[strings.Index(out, "what became of the"):]
	rows = map[string]int{}
	for _, line := range strings.Split(rest, "\n")[1:] {
		r := outcomeLine.FindStringSubmatch(line)
		if r == nil {
			break
		}
		n, _ := strconv.Atoi(r[1])
		rows[r[2]] += n
	}
	return events, rows
}

func TestDemoSummaryAccountsForEveryEventAndBillsNewPlusTextUpdates(t *testing.T) {
	t.Parallel()
	out := demoText(t)
	events, rows := outcomeRowsOf(t, out)
	sum := 0
	for _, n := range rows {
		sum += n
	}
	if events != *demoTextEvents || sum != events {
		t.Fatalf("the rows of what became of the %d events add up to %d:\n%s", events, sum, out)
	}
	b := billableLine.FindStringSubmatch(out)
	if b == nil {
		t.Fatalf("no billable line of the form B = N new + T text updates:\n%s", out)
	}
	billable, _ := strconv.Atoi(b[1])
	newC, _ := strconv.Atoi(b[2])
	text, _ := strconv.Atoi(b[3])
	if billable != newC+text || newC != rows["created a comment (new, billed)"] || text != rows["updated a comment's text (billed)"] {
		t.Fatalf("billable %d, new %d, text updates %d do not match the rows %v:\n%s", billable, newC, text, rows, out)
	}
}

var (
	liveLine   = regexp.MustCompile(`^ *\d+ events, +\d+ done \(`)
	liveFigure = regexp.MustCompile(`\d+`)
)

func TestDemoLiveCountersNeverGoDown(t *testing.T) {
	t.Parallel()
	out := demoText(t)
	var prev []int
	lines := 0
	for _, line := range strings.Split(out, "\n") {
		if !liveLine.MatchString(line) {
			continue
		}
		head, _, _ := strings.Cut(line, "| lag") // lag may shrink
		var figs []int
		for _, f := range liveFigure.FindAllString(head, -1) {
			n, _ := strconv.Atoi(f)
			figs = append(figs, n)
		}
		figs = append(figs[:2], figs[3:]...) // the rate may fall
		for i := range min(len(prev), len(figs)) {
			if figs[i] < prev[i] {
				t.Fatalf("figure %d went down from %d to %d at:\n%s\nin:\n%s", i, prev[i], figs[i], line, out)
			}
		}
		prev = figs
		lines++
	}
	if lines == 0 {
		t.Fatalf("no live line in:\n%s", out)
	}
	t.Logf("%d live lines, each figure at least the one before", lines)
}

// This one runs the binary: it is about the process's SIGINT.
func TestDemoInterruptedPrintsItsSummarySoFar(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(sfcdcBinary, "demo", "--events", "2000000", "--redis", testRedisURL())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if liveLine.MatchString(sc.Text()) && !strings.Contains(sc.Text(), " 0 done (") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	seen.Write(rest)
	err = cmd.Wait()
	out := seen.String()
	// A stop by signal is a normal stop (README: exit codes): 0, and not
	// death by the signal.
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); err != nil || (ok && st.Signaled()) {
		t.Fatalf("exit %v after Ctrl-C: want the demo to stop normally with exit 0\n%s%s", err, out, stderr.String())
	}
	if !strings.Contains(out, "pass 1 (interrupted): ") {
		t.Fatalf("no summary so far after Ctrl-C:\n%s%s", out, stderr.String())
	}
	events, rows := outcomeRowsOf(t, out)
	sum := 0
	for _, n := range rows {
		sum += n
	}
	if events == 0 || sum != events {
		t.Fatalf("the rows of the interrupted summary add up to %d of %d events:\n%s", sum, events, out)
	}
}
