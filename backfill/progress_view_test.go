package backfill

import (
	"bytes"
	"strings"
	"testing"
)

func progressReports() []Progress {
	return []Progress{
		{Phase: PhaseReading, Object: "EmailMessage", Total: 4000, Read: 2000, Pass: 1, Counts: Counts{Created: 1500}},
		{Phase: PhaseReading, Object: "EmailMessage", Total: 4000, Read: 4000, Pass: 1, Counts: Counts{Created: 3900}},
		{Phase: PhaseCaughtUp, Object: "EmailMessage", Total: 4000, Read: 4000, Pass: 2, Counts: Counts{Created: 4000}},
	}
}

func TestProgressOffATerminalIsPlainLinesEndingWithTheCaughtUpLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	v := NewProgressView(&out, false) // a buffer is no terminal
	for _, p := range progressReports() {
		v.Update(p)
	}
	v.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if strings.Contains(out.String(), "\x1b[") || strings.Contains(out.String(), "\r") {
		t.Fatalf("plain progress holds terminal control characters: %q", out.String())
	}
	if lines[0] != "EmailMessage: reading, 2000/4000 records (50%), pass 1; 1500 created, 0 updated, 0 unchanged, 0 deleted, 0 dead-lettered" {
		t.Fatalf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "EmailMessage: caught up, 4000/4000 records (100%), pass 2") {
		t.Fatalf("last line %q, want the caught-up line", last)
	}
}

func TestProgressOnATerminalIsABarWithTheCountedTotal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	v := &ProgressView{w: &out} // as on a terminal
	for _, p := range progressReports() {
		v.Update(p)
	}
	if !strings.Contains(out.String(), "EmailMessage") || !strings.Contains(out.String(), "/4000,") ||
		!strings.Contains(out.String(), "EmailMessage: caught up, 4000 records") {
		t.Fatalf("bar output %q", out.String())
	}
}
