package pipeline_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
)

// logBuffer collects a daemon's log lines (text format), safe for the
// daemon's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the lines that contain every one of parts.
func (b *logBuffer) lines(parts ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(b.buf.String(), "\n") {
		match := line != ""
		for _, p := range parts {
			match = match && strings.Contains(line, p)
		}
		if match {
			out = append(out, line)
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logTo makes the daemon log to logs at level, through Incidents as
// `sfcdc run` does.
func logTo(logs *logBuffer, level slog.Level) func(*pipeline.Options) {
	return func(o *pipeline.Options) {
		inc := pipeline.NewIncidents()
		o.Incidents = inc
		o.Logger = slog.New(inc.Handler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})))
	}
}

func TestARunLogsEachStateChangeTheLoadsCountsAndAPeriodicSummaryAtInfo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.createCases(t, 0, 4)
	var logs logBuffer
	d := w.startDaemonWith(t, casesOnly, daemonTuning{
		options: logTo(&logs, slog.LevelInfo),
		daemon:  func(c *pipeline.DaemonConfig) { c.SummaryInterval = 20 * time.Millisecond },
	})
	eventually(t, "the topic streams", func() bool { return d.snapshotOf(t, "/data/CaseChangeEvent").State == replay.StateStreaming })
	w.createCases(t, 4, 2)
	eventually(t, "a summary counts the streamed events", func() bool {
		return len(logs.lines(`msg="topic summary"`)) > len(logs.lines(`msg="topic summary"`, "events_total=0"))
	})
	d.stop(t)
	for _, want := range [][]string{
		{"level=INFO", `msg="topic lease acquired"`, "fencing_token="},
		{"level=INFO", `msg="topic backfilling"`, "objects=[Case]"},
		{"level=INFO", `msg="initial load done"`, "records=4", "new=4"},
		{"level=INFO", `msg="topic streaming"`, `from="the earliest retained event"`},
		{"level=INFO", `msg="topic summary"`, "state=streaming", "lag="},
		{"level=INFO", `msg="topic draining"`},
		{"level=INFO", `msg="topic stopped"`},
	} {
		if len(logs.lines(want...)) == 0 {
			t.Errorf("no log line with %q; log:\n%s", want, logs.String())
		}
	}
	if n := len(logs.lines(`msg="topic streaming"`)); n != 1 {
		t.Errorf("%d streaming lines, want one per state change", n)
	}
}

func TestACMOutageIsLoggedOnceWhenItStartsAndOnceWhenItClears(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var logs logBuffer
	d := w.startDaemonWith(t, casesOnly, daemonTuning{options: logTo(&logs, slog.LevelDebug)})
	eventually(t, "the topic streams", func() bool { return d.snapshotOf(t, "/data/CaseChangeEvent").State == replay.StateStreaming })
	const marker = "held-by-cm-outage"
	w.Gate.Fail(marker)
	v := caseValues(0)
	v["Description"] = "Case 0, " + marker + "."
	id, _ := w.create(t, "Case", v)
	eventually(t, "the upload is retried several times", func() bool {
		return len(logs.lines("level=DEBUG", `msg="CM request failed; retrying"`)) >= 3
	})
	w.Gate.Heal()
	eventually(t, "the comment reaches CM", func() bool { return w.CMHas("Case", id) })
	eventually(t, "the recovery is logged", func() bool {
		return len(logs.lines("level=INFO", `msg="Communications Mining works again"`, "retries=")) == 1
	})
	d.stop(t)
	if got := logs.lines("level=WARN", "Communications Mining"); len(got) != 1 ||
		!strings.Contains(got[0], `msg="Communications Mining failing; retrying until it works again"`) {
		t.Errorf("warnings about CM: %q, want exactly one, when the outage began", got)
	}
	if n := len(logs.lines("level=WARN", `msg="CM request failed`)); n != 0 {
		t.Errorf("%d retry warnings, want the retries at debug only", n)
	}
}

func TestAStandbyLogsWhoHoldsTheLeaseAndTheTakeOverAtInfo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	holder := func(name string) func(*pipeline.DaemonConfig) {
		return func(c *pipeline.DaemonConfig) { c.Holder = name }
	}
	first := w.startDaemonWith(t, casesOnly, daemonTuning{daemon: holder("instance-a")})
	eventually(t, "the first instance streams", func() bool { return first.snapshotOf(t, topic).State == replay.StateStreaming })
	var logs logBuffer
	second := w.startDaemonWith(t, casesOnly, daemonTuning{daemon: holder("instance-b"), options: logTo(&logs, slog.LevelInfo)})
	eventually(t, "the second instance stands by", func() bool { return second.snapshotOf(t, topic).State == replay.StateStandby })
	first.stop(t)
	eventually(t, "the second instance streams", func() bool { return second.snapshotOf(t, topic).State == replay.StateStreaming })
	second.stop(t)
	if n := len(logs.lines("level=INFO", `msg="topic standby"`, "lease_holder=instance-a")); n != 1 {
		t.Errorf("%d standby lines naming instance-a, want one however often it retried; log:\n%s", n, logs.String())
	}
	if len(logs.lines("level=INFO", `msg="took over the topic lease"`, "holder=instance-b", "from=instance-a")) != 1 {
		t.Errorf("the takeover is not logged at info; log:\n%s", logs.String())
	}
}
