package deadletter_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
)

var (
	renderAt   = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	recordDead = replay.DeadLetter{
		ID: "dl-1", At: renderAt, EventTime: renderAt.Add(-time.Minute), NextAttemptAt: renderAt.Add(10 * time.Minute),
		Topic: "/data/CaseChangeEvent", Object: "Case", RecordID: "500000000000001", ReplayID: []byte{0x0a, 0xff},
		Reason: "cm_rejected", Error: "422 Unprocessable\n  body too long", Attempts: 2, Body: []byte("12345"),
	}
	eventDead = replay.DeadLetter{
		ID: "dl-2", At: renderAt.In(time.FixedZone("CEST", 2*3600)), Topic: "/data/TaskChangeEvent",
		ReplayID: []byte{0x01}, Reason: "undecodable", Attempts: 10, Parked: true,
	}
)

// The keys of `sfcdc deadletters list --json` are a public interface.
func TestWriteJSONKeepsTheStableKeysAndNoBody(t *testing.T) {
	var out bytes.Buffer
	if err := deadletter.WriteJSON(&out, []replay.DeadLetter{recordDead, eventDead}); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "id": "dl-1",
    "at": "2026-05-01T12:00:00Z",
    "event_time": "2026-05-01T11:59:00Z",
    "retried_at": null,
    "next_attempt_at": "2026-05-01T12:10:00Z",
    "parked": false,
    "topic": "/data/CaseChangeEvent",
    "object": "Case",
    "record_id": "500000000000001",
    "replay_id": "0aff",
    "reason": "cm_rejected",
    "error": "422 Unprocessable\n  body too long",
    "attempts": 2,
    "body_bytes": 5
  },
  {
    "id": "dl-2",
    "at": "2026-05-01T12:00:00Z",
    "event_time": null,
    "retried_at": null,
    "next_attempt_at": null,
    "parked": true,
    "topic": "/data/TaskChangeEvent",
    "object": "",
    "record_id": "",
    "replay_id": "01",
    "reason": "undecodable",
    "error": "",
    "attempts": 10,
    "body_bytes": 0
  }
]
`
	if out.String() != want {
		t.Fatalf("JSON:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWriteTableShowsOneRowPerDeadLetterAndHowManyOfHowMany(t *testing.T) {
	var out bytes.Buffer
	deadletter.WriteTable(&out, "00D000000000001", []replay.DeadLetter{recordDead, eventDead}, 3)
	want := "ID    DEAD-LETTERED         EVENT TIME            TOPIC/OBJECT           RECORD/REPLAY ID  REASON       ATTEMPTS  STATE                      ERROR\n" +
		"dl-1  2026-05-01T12:00:00Z  2026-05-01T11:59:00Z  Case                   500000000000001   cm_rejected  2         next 2026-05-01T12:10:00Z  422 Unprocessable body too long\n" +
		"dl-2  2026-05-01T12:00:00Z  -                     /data/TaskChangeEvent  replay 01         undecodable  10        parked                     -\n" +
		"showing 2 of 3 dead letters of org 00D000000000001; --limit 0 shows all\n"
	if out.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	deadletter.WriteTable(&out, "00D000000000001", nil, 0)
	if out.String() != "org 00D000000000001 has no dead letters\n" {
		t.Fatalf("no dead letters: %q", out.String())
	}
}

func TestDescribeNamesADeadLetterInOneLine(t *testing.T) {
	if got, want := deadletter.Describe(eventDead), "/data/TaskChangeEvent replay 01: undecodable, 10 attempts, dead-lettered 2026-05-01T12:00:00Z"; got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
	if got := deadletter.State(replay.DeadLetter{}); got != "retrying" {
		t.Fatalf("State of a dead letter no retry scheduled = %q, want retrying", got)
	}
}

func TestWriteResultSaysWhatBecameOfEachDeadLetterWithoutACredential(t *testing.T) {
	after := recordDead
	after.Attempts, after.NextAttemptAt = 3, renderAt.Add(20*time.Minute)
	parked := after
	parked.Parked = true
	for _, c := range []struct {
		res  deadletter.Result
		want string
	}{
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Done, Detail: "uploaded"}, "dl-1: uploaded; dead letter deleted\n"},
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Skipped, Detail: "no commit time"}, "dl-1: skipped: no commit time\n"},
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Interrupted, Detail: "interrupted"}, "dl-1: interrupted; kept unchanged\n"},
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Failed, Detail: "503", Gone: true},
			"dl-1: failed again (503), and the dead letter is gone meanwhile\n"},
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Failed, Detail: "503", After: parked},
			"dl-1: failed again, attempt 3, parked (no automatic retries): 503\n"},
		{deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Failed, Detail: "503", After: after},
			"dl-1: failed again, attempt 3: 503 (next automatic attempt 2026-05-01T12:20:00Z)\n"},
	} {
		var out bytes.Buffer
		deadletter.WriteResult(&out, c.res)
		if out.String() != c.want {
			t.Errorf("outcome %v: %q, want %q", c.res.Outcome, out.String(), c.want)
		}
	}
	var out bytes.Buffer
	deadletter.WriteResult(&out, deadletter.Result{DeadLetter: recordDead, Outcome: deadletter.Failed, After: after,
		Detail: "call failed: Authorization: Bearer abc123bearer was refused"})
	if strings.Contains(out.String(), "abc123bearer") {
		t.Fatalf("a retry line repeats a credential: %q", out.String())
	}
}

func TestWriteTallySaysWhatARetryLeftUndone(t *testing.T) {
	var out bytes.Buffer
	if err := deadletter.WriteTally(&out, "00D000000000001", 3, deadletter.Tally{Done: 3}, 0); err != nil {
		t.Fatalf("an all-done retry failed: %v", err)
	}
	if want := "retried 3 dead letters of org 00D000000000001: 3 done (deleted), 0 failed again (kept), 0 skipped, 0 not found\n"; out.String() != want {
		t.Fatalf("tally %q, want %q", out.String(), want)
	}
	out.Reset()
	err := deadletter.WriteTally(&out, "00D000000000001", 4, deadletter.Tally{Done: 1, Failed: 2, Parked: 1, Skipped: 1}, 2)
	if want := "retried 4 dead letters of org 00D000000000001: 1 done (deleted), 2 failed again (kept, 1 parked now), 1 skipped, 2 not found\n"; out.String() != want {
		t.Fatalf("tally %q, want %q", out.String(), want)
	}
	if err == nil || err.Error() != "retry incomplete: 2 failed again (kept with attempts+1 and the new error; fix the cause and retry); "+
		"2 of the given IDs do not exist (`sfcdc deadletters list` shows the current ones)" {
		t.Fatalf("incomplete retry: %v", err)
	}
}

func TestWritePurgedSaysPurgedOrGone(t *testing.T) {
	var out bytes.Buffer
	deadletter.WritePurged(&out, eventDead, false)
	deadletter.WritePurged(&out, recordDead, true)
	want := "dl-2: purged (/data/TaskChangeEvent replay 01: undecodable, 10 attempts, dead-lettered 2026-05-01T12:00:00Z)\n" +
		"dl-1: gone already (retried or purged meanwhile)\n"
	if out.String() != want {
		t.Fatalf("purge lines %q, want %q", out.String(), want)
	}
}
