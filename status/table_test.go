package status

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriteTableIsOneRowPerTopicThenWarningsAndDeadLetters(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	age := (50 * time.Hour).Seconds()
	rep := Report{Org: "00D000000000001", DeadLetters: 4, ParkedDeadLetters: 1, Topics: []Topic{
		{Topic: "/data/CaseChangeEvent", State: "streaming", Holder: "host-1", Stale: true,
			LastEventAt: at(2 * time.Hour), LastKeepaliveAt: at(-2 * time.Second), LastCheckpointAt: at(30 * time.Minute),
			ReplayAgeSeconds: &age, ReplayExpiring: true, LagSeconds: 1.2, Received: 10, Uploaded: 8, Unchanged: 6, Deleted: 3,
			DeadLettered: 2, Reconnects: 1, LastError: "dial tcp:\n  connection refused", Warnings: []string{"replay position expires soon"}},
		{Topic: "/data/TaskChangeEvent", State: StateNone},
	}}
	var out bytes.Buffer
	WriteTable(&out, rep, now)
	want := "org 00D000000000001, replay retention 3d\n" +
		"TOPIC                  STATE              HOLDER  LAST EVENT  LAST KEEPALIVE  LAST CHECKPOINT  REPLAY AGE             LAG  RECEIVED  UPLOADED  UNCHANGED  DELETED  DEAD  RECONNECTS  LAST ERROR\n" +
		"/data/CaseChangeEvent  streaming (stale)  host-1  2h ago      in 2s           30m ago          2d2h (expires in 22h)  1s   10        8         6          3        2     1           dial tcp: connection refused\n" +
		"/data/TaskChangeEvent  none               -       never       never           never            -                      -    0         0         0          0        0     0           -\n" +
		"/data/CaseChangeEvent: replay position expires soon\n" +
		"dead letters: 4 (1 parked); `sfcdc deadletters list --config FILE` shows them\n"
	if out.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWriteTableWithoutTopicsSaysNoInstanceRanYet(t *testing.T) {
	var out bytes.Buffer
	WriteTable(&out, Report{Org: "00D000000000001"}, time.Now())
	if !strings.HasPrefix(out.String(), "org 00D000000000001: no instance has run yet") ||
		!strings.HasSuffix(out.String(), "\ndead letters: 0 (0 parked)\n") {
		t.Fatalf("no topics: %q", out.String())
	}
}

func TestAgoIsRelativeToNow(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-90*time.Second), now.Add(3*time.Second)
	if got := Ago(&past, now); got != "1m30s ago" {
		t.Errorf("Ago(90s before) = %q", got)
	}
	if got := Ago(&future, now); got != "in 3s" {
		t.Errorf("Ago(3s after) = %q", got)
	}
	if got := Ago(nil, now); got != "never" {
		t.Errorf("Ago(nil) = %q", got)
	}
}
