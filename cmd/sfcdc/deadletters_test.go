package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// deadLetterWorld is a simulator with seeded EmailMessages, a
// configuration for it, and its store opened directly.
type deadLetterWorld struct {
	b       simBanner
	config  string
	store   replay.Store
	org     string
	records []string // EmailMessage IDs
	secrets []string // no output may hold one
}

const (
	dlTopic = "/data/EmailMessageChangeEvent"
	// dlWrongCMToken is a CM token CM refuses; it is a secret too.
	dlWrongCMToken = "wrong-cm-token-canary-must-never-be-printed"
)

func newDeadLetterWorld(t *testing.T, seeded int) *deadLetterWorld {
	t.Helper()
	b := startSim(t, "--rate", "0", "--seed-records", fmt.Sprint(seeded))
	prefix := redisKeyPrefix(t)
	w := &deadLetterWorld{b: b, config: backfillConfig(t, b, prefix, ""), org: b.TenantID,
		store:   statusTestStore(t, prefix),
		records: sfRecordIDs(t, b, "EmailMessage"),
		secrets: []string{b.AccessToken, b.CommsMiningToken, b.ClientSecret, dlWrongCMToken}}
	if len(w.records) != seeded {
		t.Fatalf("the sim has %d EmailMessages, want %d", len(w.records), seeded)
	}
	return w
}

// run runs `sfcdc deadletters args…` against the world; cmToken replaces
// the CM token when set.
func (w *deadLetterWorld) run(t *testing.T, cmToken string, args ...string) result {
	t.Helper()
	env := backfillEnv(w.b)
	if cmToken != "" {
		env = append(env, "TEST_CM_TOKEN="+cmToken)
	}
	return runCanaryChecked(t, env, w.secrets, append([]string{"deadletters", args[0], "--config", w.config}, args[1:]...)...)
}

func (w *deadLetterWorld) add(t *testing.T, d replay.DeadLetter) string {
	t.Helper()
	id, err := w.store.AddDeadLetter(t.Context(), w.org, d)
	must(t, err)
	return id
}

func (w *deadLetterWorld) get(t *testing.T, id string) (replay.DeadLetter, bool) {
	t.Helper()
	d, err := w.store.DeadLetter(t.Context(), w.org, id)
	if err != nil {
		if strings.Contains(err.Error(), replay.ErrNotFound.Error()) {
			return d, false
		}
		t.Fatal(err)
	}
	return d, true
}

func TestDeadLettersListShowsStoredEntriesInTextAndJSON(t *testing.T) {
	t.Parallel()
	w := newDeadLetterWorld(t, 1)
	eventTime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rec := w.add(t, replay.DeadLetter{Topic: dlTopic, Object: "EmailMessage", RecordID: w.records[0],
		Reason: "cm rejected comment", Error: "CM rejected the comment: 422", Attempts: 2, EventTime: eventTime})
	ev := w.add(t, replay.DeadLetter{Topic: dlTopic, ReplayID: []byte{0x00, 0xfe, 0x10}, Reason: "undecodable payload", Attempts: 1})

	r := w.run(t, "", "list")
	wantExit(t, r, 0, "ID", "ATTEMPTS", "showing 2 of 2 dead letters of org "+w.org)
	row := lineWith(r.stdout, w.records[0])
	for _, want := range []string{rec + " ", "2026-03-04T05:06:07Z", "EmailMessage", "cm rejected comment", " 2 ", "CM rejected the comment: 422"} {
		if !strings.Contains(row, want) {
			t.Errorf("record row lacks %q: %q", want, row)
		}
	}
	row = lineWith(r.stdout, "replay 00fe10")
	for _, want := range []string{ev + " ", dlTopic, "undecodable payload"} {
		if !strings.Contains(row, want) {
			t.Errorf("event row lacks %q: %q", want, row)
		}
	}
	// Newest first.
	if strings.Index(r.stdout, "replay 00fe10") > strings.Index(r.stdout, w.records[0]) {
		t.Errorf("not newest first:\n%s", r.stdout)
	}

	r = w.run(t, "", "list", "--limit", "1")
	wantExit(t, r, 0, "showing 1 of 2", "--limit 0 shows all")

	r = w.run(t, "", "list", "--json")
	wantExit(t, r, 0)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0]["id"] != ev || got[0]["replay_id"] != "00fe10" || got[0]["event_time"] != nil ||
		got[1]["id"] != rec || got[1]["record_id"] != w.records[0] || got[1]["attempts"] != 2.0 ||
		got[1]["event_time"] != "2026-03-04T05:06:07Z" || got[1]["object"] != "EmailMessage" {
		t.Errorf("--json: %s", r.stdout)
	}
	wantExit(t, w.run(t, "", "list", "--limit", "-1"), 2, "--limit")
}

func TestDeadLettersRetryUploadsRecordsAndCountsFailures(t *testing.T) {
	t.Parallel()
	w := newDeadLetterWorld(t, 3)
	live := w.records[0]
	comment := mapper.CommentID("EmailMessage", live)
	rec := w.add(t, replay.DeadLetter{Topic: dlTopic, Object: "EmailMessage", RecordID: live,
		Reason: "cm rejected comment", Error: "CM rejected the comment: 422", Attempts: 1})
	const vanished = "02s000000000000AAA" // never existed: as if deleted since
	gone := w.add(t, replay.DeadLetter{Object: "EmailMessage", RecordID: vanished, Reason: "cm rejected comment", Attempts: 1})
	unknown := w.add(t, replay.DeadLetter{Object: "Opportunity", RecordID: "006000000000001AAA", Reason: "unmappable record", Attempts: 1})

	// CM refuses the token: the retry fails, the dead letter stays with
	// one more attempt and the new error, and nothing reached CM.
	r := w.run(t, dlWrongCMToken, "retry", "--id", rec)
	wantExit(t, r, 1, rec+": failed again, attempt 2", "1 failed again")
	d, ok := w.get(t, rec)
	if !ok || d.Attempts != 2 || !strings.Contains(d.Error, "401") || d.RetriedAt.IsZero() || strings.Contains(d.Error, dlWrongCMToken) {
		t.Errorf("after a failed retry: present %v, %+v", ok, d)
	}
	if cmCommentIDs(t, w.b)[comment] {
		t.Fatal("the comment reached CM with a refused token")
	}

	// With the right token: the record is re-read and uploaded, the
	// vanished record's dead letter goes (its comment is deleted, as
	// on_delete defaults to delete), the unconfigured object's stays.
	r = w.run(t, "", "retry", "--id", rec, "--id", gone, "--id", unknown)
	wantExit(t, r, 1,
		rec+": record "+live+" re-read and its comment "+comment+" is in CM",
		gone+": record "+vanished+" no longer exists in Salesforce: deleted its comment",
		unknown+": failed again, attempt 2: object Opportunity is not in the configuration's objects",
		"retried 3 dead letters", "2 done (deleted), 1 failed again (kept)")
	if !cmCommentIDs(t, w.b)[comment] {
		t.Errorf("the retried record's comment %s is not in CM", comment)
	}
	for _, id := range []string{rec, gone} {
		if _, ok := w.get(t, id); ok {
			t.Errorf("dead letter %s is still there after a successful retry", id)
		}
	}
	if d, ok := w.get(t, unknown); !ok || d.Attempts != 2 {
		t.Errorf("the failed dead letter: present %v, %+v", ok, d)
	}

	// An ID that does not exist is reported, and malformed ones refused.
	wantExit(t, w.run(t, "", "retry", "--id", rec), 1, rec+": not found", "1 not found")
	wantExit(t, w.run(t, "", "retry", "--id", "x1"), 2, "--id")
	wantExit(t, w.run(t, "", "retry"), 2, "exactly one of --id")
	wantExit(t, w.run(t, "", "retry", "--all", "--id", rec), 2, "exactly one of --id")
}

func TestDeadLettersRetryBackfillsAroundAnUndecodableEvent(t *testing.T) {
	t.Parallel()
	w := newDeadLetterWorld(t, 4)
	withTime := w.add(t, replay.DeadLetter{Topic: dlTopic, ReplayID: []byte{0x01, 0x02}, Reason: "undecodable payload",
		Attempts: 1, EventTime: time.Now().Add(-time.Minute)})
	withoutTime := w.add(t, replay.DeadLetter{Topic: dlTopic, ReplayID: []byte{0x01, 0x03}, Reason: "undecodable payload", Attempts: 1})

	r := w.run(t, "", "retry", "--all")
	wantExit(t, r, 0,
		withTime+": re-read EmailMessage changed ", "4 created",
		withoutTime+": skipped: no event time was recorded", "sfcdc backfill --config "+w.config+" --object EmailMessage --since",
		"retried 2 dead letters", "1 done (deleted), 0 failed again (kept), 1 skipped")
	if missing := missingComments(t, w.b, "EmailMessage"); len(missing) != 0 {
		t.Errorf("records changed around the event are not in CM: %v", missing)
	}
	if _, ok := w.get(t, withTime); ok {
		t.Error("the event dead letter is still there after its window completed")
	}
	if d, ok := w.get(t, withoutTime); !ok || d.Attempts != 1 {
		t.Errorf("the dead letter without event time: present %v, %+v (want kept, untried)", ok, d)
	}
}

func TestDeadLettersPurgeByIDAgeAndAll(t *testing.T) {
	t.Parallel()
	w := newDeadLetterWorld(t, 1)
	now := time.Now()
	old := w.add(t, replay.DeadLetter{Object: "EmailMessage", RecordID: "02s000000000001AAA", Reason: "cm rejected comment", At: now.Add(-72 * time.Hour)})
	recent := w.add(t, replay.DeadLetter{Object: "EmailMessage", RecordID: "02s000000000002AAA", Reason: "cm rejected comment", At: now.Add(-time.Hour)})
	byID := w.add(t, replay.DeadLetter{Topic: dlTopic, ReplayID: []byte{9}, Reason: "undecodable payload"})
	last := w.add(t, replay.DeadLetter{Topic: dlTopic, ReplayID: []byte{10}, Reason: "undecodable payload"})

	wantExit(t, w.run(t, "", "purge"), 2, "exactly one of --id")
	wantExit(t, w.run(t, "", "purge", "--before", "yesterday"), 2, "--before")

	r := w.run(t, "", "purge", "--before", now.Add(-24*time.Hour).UTC().Format(time.RFC3339))
	wantExit(t, r, 0, old+": purged (EmailMessage 02s000000000001AAA: cm rejected comment", "purged 1 dead letters")
	// Each purged item is a line starting with its ID (IDs are small
	// numbers, so a bare "2:" would also match a time of day).
	if slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool { return strings.HasPrefix(l, recent+": ") }) {
		t.Errorf("--before purged a newer dead letter:\n%s", r.stdout)
	}
	r = w.run(t, "", "purge", "--id", byID)
	wantExit(t, r, 0, byID+": purged ("+dlTopic+" replay 09", "purged 1 dead letters")
	wantExit(t, w.run(t, "", "purge", "--id", byID), 1, byID+": not found")

	r = w.run(t, "", "purge", "--all")
	wantExit(t, r, 0, recent+": purged", last+": purged", "purged 2 dead letters")
	n, err := w.store.CountDeadLetters(t.Context(), w.org)
	must(t, err)
	if n != 0 {
		t.Errorf("%d dead letters after purge --all", n)
	}
	wantExit(t, w.run(t, "", "list"), 0, "has no dead letters")
}

func TestDeadLettersRetryOfAVanishedRecordKeepsItsCommentWhenOnDeleteIsKeep(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	prefix := redisKeyPrefix(t)
	w := &deadLetterWorld{b: b, config: backfillConfig(t, b, prefix, "    on_delete: keep\n"), org: b.TenantID,
		store: statusTestStore(t, prefix), secrets: []string{b.AccessToken, b.CommsMiningToken, b.ClientSecret}}
	const vanished = "02s000000000000AAA"
	id := w.add(t, replay.DeadLetter{Object: "EmailMessage", RecordID: vanished, Reason: "cm rejected comment", Attempts: 1})
	r := w.run(t, "", "retry", "--all")
	wantExit(t, r, 0, id+": record "+vanished+" no longer exists in Salesforce; on_delete is keep, so its comment "+
		mapper.CommentID("EmailMessage", vanished)+" stays in CM; dropped", "1 done (deleted)")
	if _, ok := w.get(t, id); ok {
		t.Error("the dead letter of a vanished record is still there")
	}
	if st := simStats(t, b); st.Requests[commsmining.EndpointDelete] != 0 {
		t.Errorf("CM got %d delete requests with on_delete: keep", st.Requests[commsmining.EndpointDelete])
	}
}

// Acceptance: a dead letter that keeps failing is parked when its
// attempts reach run.dead_letters.max_attempts; list and status show it
// parked, retry --all leaves it alone, and retry --id still retries it.
func TestADeadLetterIsParkedAfterItsLastAttemptAndShownParked(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "1")
	prefix := redisKeyPrefix(t)
	w := &deadLetterWorld{b: b, org: b.TenantID, store: statusTestStore(t, prefix), records: sfRecordIDs(t, b, "EmailMessage"),
		config:  backfillConfig(t, b, prefix, "run:\n  dead_letters:\n    max_attempts: 3\n"),
		secrets: []string{b.AccessToken, b.CommsMiningToken, b.ClientSecret, dlWrongCMToken}}
	id := w.add(t, replay.DeadLetter{Topic: dlTopic, Object: "EmailMessage", RecordID: w.records[0],
		Reason: "cm rejected comment", Error: "CM rejected the comment: 422", Attempts: 1})

	r := w.run(t, dlWrongCMToken, "retry", "--id", id)
	wantExit(t, r, 1, id+": failed again, attempt 2: ", "next automatic attempt")
	if d, _ := w.get(t, id); d.Parked || d.NextAttemptAt.Before(time.Now().Add(8*time.Minute)) {
		t.Fatalf("after attempt 2 of 3: %+v, want not parked, next attempt about 10 min ahead", d)
	}
	row := lineWith(w.run(t, "", "list").stdout, w.records[0])
	if !strings.Contains(row, " next ") || strings.Contains(row, "parked") {
		t.Errorf("list row of a dead letter being retried: %q", row)
	}

	r = w.run(t, dlWrongCMToken, "retry", "--id", id)
	wantExit(t, r, 1, id+": failed again, attempt 3, parked", "1 parked now")
	r = w.run(t, "", "list")
	wantExit(t, r, 0, "STATE")
	if row := lineWith(r.stdout, w.records[0]); !strings.Contains(row, "parked") || !strings.Contains(row, " 3 ") {
		t.Errorf("list row of the parked dead letter: %q", row)
	}
	r = w.run(t, "", "list", "--json")
	var listed []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(listed) != 1 || listed[0]["parked"] != true || listed[0]["next_attempt_at"] != nil || listed[0]["attempts"] != 3.0 {
		t.Errorf("--json of the parked dead letter: %s", r.stdout)
	}
	r = runCanaryChecked(t, backfillEnv(b), w.secrets, "status", "--config", w.config)
	wantExit(t, r, 0, "dead letters: 1 (1 parked)")
	r = runCanaryChecked(t, backfillEnv(b), w.secrets, "status", "--config", w.config, "--json")
	wantExit(t, r, 0)

	// --all leaves a parked dead letter alone; naming it retries it.
	wantExit(t, w.run(t, "", "retry", "--all"), 0, "leaving 1 parked dead letters alone", "retried 0 dead letters")
	wantExit(t, w.run(t, "", "retry", "--id", id, "--include-parked"), 2, "--include-parked goes with --all")
	wantExit(t, w.run(t, "", "retry", "--id", id), 0, id+": record "+w.records[0]+" re-read", "1 done (deleted)")
	if _, ok := w.get(t, id); ok {
		t.Error("the parked dead letter is still there after a successful retry")
	}
}

// `sfcdc run` retries a due dead letter by itself: its record's comment
// lands in CM and the dead letter goes, without `deadletters retry`.
func TestSfcdcRunRetriesADueDeadLetterByItself(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "1")
	prefix := redisKeyPrefix(t)
	w := &deadLetterWorld{b: b, org: b.TenantID, store: statusTestStore(t, prefix), records: sfRecordIDs(t, b, "EmailMessage"),
		config:  backfillConfig(t, b, prefix, "run:\n  start: latest\n  dead_letters:\n    retry_after: 1s\nmonitoring:\n  listen: off\n"),
		secrets: []string{b.AccessToken, b.CommsMiningToken, b.ClientSecret}}
	comment := mapper.CommentID("EmailMessage", w.records[0])
	id := w.add(t, replay.DeadLetter{Topic: dlTopic, Object: "EmailMessage", RecordID: w.records[0],
		Reason: "cm rejected comment", Error: "CM rejected the comment: 422", Attempts: 1, At: time.Now().Add(-time.Minute)})
	if cmCommentIDs(t, b)[comment] {
		t.Fatal("CM holds the comment before the retry")
	}

	p := startRun(t, backfillEnv(b), w.config)
	pollUntil(t, p, "the dead letter to be retried", func() bool { _, ok := w.get(t, id); return !ok })
	if !cmCommentIDs(t, b)[comment] {
		t.Errorf("the dead letter is gone but CM lacks its comment %s", comment)
	}
	p.terminate(t)
	for _, secret := range w.secrets {
		if strings.Contains(p.output(), secret) {
			t.Errorf("sfcdc run printed a secret:\n%s", p.output())
		}
	}
}
