package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
)

func TestAKilledBackfillFinishesOnRestartWithNothingLostAndAtMostOneBatchResent(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	if testing.Short() {
		t.Skip("6,000 records: skipped with -short")
	}
	// n: six batches, killed after about two, so the kill lands with
	// batches both saved and still to send; a whole run is
	// TestAFull5000RecordBackfill's.
	const n, batch = 6000, 1024 // batch: commsmining.max_batch_comments' default
	b := startSimProcess(t, "--rate", "0", "--seed-records", strconv.Itoa(n))
	config := backfillConfig(t, b, redisKeyPrefix(t), "")
	env := backfillEnv(b)

	killed := exec.Command(sfcdcBinary, "backfill", "--config", config)
	killed.Env = env
	var killedOut syncBuffer
	killed.Stdout, killed.Stderr = &killedOut, &killedOut
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = killed.Wait(); close(exited) }()
	waitFor(t, killed, exited, "CM received 2,000 comments", func() bool { return simStats(t, b).CommentsReceived >= 2000 })
	_ = killed.Process.Kill() // SIGKILL: no chance to save anything
	<-exited
	atKill := simStats(t, b).CommentsReceived
	if atKill >= n {
		t.Fatalf("the backfill had finished (%d comments) before the kill", atKill)
	}

	r := runSfcdc(t, env, "backfill", "--config", config)
	if r.code != 0 {
		t.Fatalf("the restarted backfill exited %d:\n%s", r.code, r.output())
	}
	want := sfRecordIDs(t, b, "EmailMessage")
	got := cmCommentIDs(t, b)
	if len(want) != n || len(got) != n {
		t.Fatalf("CM holds %d comments for %d records, want %d", len(got), len(want), n)
	}
	for _, id := range want {
		if !got[mapper.CommentID("EmailMessage", id)] {
			t.Fatalf("record %s has no comment", id)
		}
	}
	st := simStats(t, b)
	if st.New != n || st.BillableUnits != n || st.Unchanged > batch {
		t.Fatalf("CM: %d new, %d billed, %d re-sent unchanged (killed at %d); want %d new and billed, at most %d re-sent",
			st.New, st.BillableUnits, st.Unchanged, atKill, n, batch)
	}
	if !strings.Contains(r.stdout, "backfill summary") || lineWith(r.stderr, "EmailMessage: caught up") == "" {
		t.Fatalf("want plain progress lines on standard error and a summary on standard output:\n%s", r.output())
	}
	t.Logf("killed after %d comments; %d re-sent; restart: %s", atKill, st.Unchanged, lineWith(r.stdout, "throughput"))
}

func TestAFull5000RecordBackfillThroughTheCommandReportsItsThroughput(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	if testing.Short() {
		t.Skip("5,000 records: skipped with -short")
	}
	const n = 5000
	b := startSimProcess(t, "--rate", "0", "--seed-records", strconv.Itoa(n))
	r := runSfcdc(t, backfillEnv(b), "backfill", "--config", backfillConfig(t, b, redisKeyPrefix(t), ""))
	if r.code != 0 {
		t.Fatalf("backfill exited %d:\n%s", r.code, r.output())
	}
	if st := simStats(t, b); st.New != n || st.CommentsReceived != n {
		t.Fatalf("CM received %d comments, %d new; want %d each", st.CommentsReceived, st.New, n)
	}
	t.Log(lineWith(r.stdout, "throughput"))
}

func TestTheDryRunOfTheCommandEstimatesWhatTheRealRunIsBilled(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	b := startSimProcess(t, "--rate", "0", "--seed-records", "700")
	config := backfillConfig(t, b, redisKeyPrefix(t), "")
	env := backfillEnv(b)
	dry := runSfcdc(t, env, "backfill", "--config", config, "--dry-run")
	if dry.code != 0 {
		t.Fatalf("dry run exited %d:\n%s", dry.code, dry.output())
	}
	m := regexp.MustCompile(`estimated CM cost: (\d+) billable units`).FindStringSubmatch(dry.stdout)
	if m == nil {
		t.Fatalf("the dry run printed no estimate:\n%s", dry.output())
	}
	if st := simStats(t, b); st.CommentsReceived != 0 {
		t.Fatalf("the dry run sent %d comments", st.CommentsReceived)
	}
	real := runSfcdc(t, env, "backfill", "--config", config)
	if real.code != 0 {
		t.Fatalf("backfill exited %d:\n%s", real.code, real.output())
	}
	if st := simStats(t, b); strconv.FormatInt(st.BillableUnits, 10) != m[1] || st.BillableUnits != 700 {
		t.Fatalf("CM billed %d units, the dry run estimated %s", st.BillableUnits, m[1])
	}
}

func TestTheCommandStopsAtTheAPIBudgetWithExitCode3AndSaysWhenToResume(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	b := startSimProcess(t, "--rate", "0", "--seed-records", "3000", "--daily-api-limit", "20")
	config := backfillConfig(t, b, redisKeyPrefix(t), "backfill:\n  page_size: 200\n")
	r := runSfcdc(t, backfillEnv(b), "backfill", "--config", config)
	if r.code != exitBudget {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitBudget, r.output())
	}
	if !regexp.MustCompile(`API budget reached: the org has used 10 of its 20 daily API requests, the budget is 50%; progress is saved, run again after \S+Z`).MatchString(r.stderr) {
		t.Fatalf("the message does not explain the stop:\n%s", r.stderr)
	}
	if st := simStats(t, b); st.New != 1800 {
		t.Fatalf("CM received %d comments, want the 1,800 of the nine pages read", st.New)
	}
}

func TestBadFlagsAndConfigurationsExitWithCode2(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, "bad.yaml", "objects:\n  - object: Ticket__c\n")
	for name, args := range map[string][]string{
		"no --config":              {"backfill"},
		"an invalid configuration": {"backfill", "--config", bad},
		"a malformed --since":      {"backfill", "--config", bad, "--since", "yesterday"},
		"--follow with --until":    {"backfill", "--config", bad, "--follow", "--until", "2026-01-01T00:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runSfcdc(t, nil, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "sfcdc:") {
				t.Fatalf("exit %d, want %d with a message:\n%s", r.code, exitUsage, r.output())
			}
		})
	}
}
