package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/replay"
)

// runCanaryChecked runs `sfcdc args…` in the replay tests' environment
// (canary secrets in) and fails the test if any secret is printed.
func runCanaryChecked(t *testing.T, env []string, secrets []string, args ...string) result {
	t.Helper()
	r := runInProcess(t, env, args...)
	for _, secret := range secrets {
		if secret != "" && strings.Contains(r.output(), secret) {
			t.Errorf("sfcdc %v printed a secret:\n%s", args, r.output())
		}
	}
	return r
}

func runStatusCmd(t *testing.T, args ...string) result {
	t.Helper()
	return runCanaryChecked(t, replayEnv(), []string{replayCanarySF, replayCanaryCM}, append([]string{"status"}, args...)...)
}

// statusTestStore opens the Redis store of a replay test configuration.
func statusTestStore(t *testing.T, prefix string) replay.Store {
	t.Helper()
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + testRedisAddr() + "/0", KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func TestStatusWithoutAnyRunSaysSoInTextAndJSON(t *testing.T) {
	t.Parallel()
	prefix := redisKeyPrefix(t)
	conf := replayConfig(t, fmt.Sprintf("  redis_url: redis://%s/0\n  key_prefix: %q", testRedisAddr(), prefix))
	r := runStatusCmd(t, "--config", conf)
	wantExit(t, r, 0, "org "+replayTestOrg+": no instance has run yet", "dead letters: 0")
	r = runStatusCmd(t, "--config", conf, "--json")
	wantExit(t, r, 0)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("--json without statuses printed %q, want []", r.stdout)
	}
	wantExit(t, runStatusCmd(t), 2, "--config is required")
}

func TestStatusShowsEveryTopicWithAgesWarningsAndDeadLetters(t *testing.T) {
	t.Parallel()
	prefix := redisKeyPrefix(t)
	conf := replayConfig(t, fmt.Sprintf("  redis_url: redis://%s/0\n  key_prefix: %q", testRedisAddr(), prefix))
	store := statusTestStore(t, prefix)
	ctx := t.Context()
	now := time.Now()

	// Case streams; its checkpoint is 50 h old: a warning, not yet expired.
	lease, err := store.AcquireLease(ctx, replayTestOrg, replayTestTopic, replayWorkerOwner, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{0x00, 0xab}, CommitTime: now.Add(-50 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := store.ReleaseLease(ctx, lease); err != nil {
		t.Fatal(err)
	}
	must(t, store.SaveStatus(ctx, replayTestOrg, replayTestTopic, replay.Status{
		State: replay.StateStreaming, Holder: replayWorkerOwner, LastEventAt: now.Add(-2 * time.Hour),
		LastKeepaliveAt: now.Add(-30 * time.Minute), Lag: 1500 * time.Millisecond, Events: 10,
		CommentsNew: 5, CommentsUpdated: 2, CommentsMetadataUpdated: 1, CommentsUnchanged: 1, DeadLetters: 1, Keepalives: 4, Reconnects: 3,
		CommentsDeleted: 6, EventsSkipped: 2,
	}))
	// EmailMessage failed with an error.
	const failure = "upload to CM: 401 Unauthorized: CM refused the API token; check token"
	must(t, store.SaveStatus(ctx, replayTestOrg, replayOtherTopic, replay.Status{
		State: replay.StateFailed, Holder: "worker-on-host-8", LastError: failure, LastErrorAt: now.Add(-time.Minute),
	}))
	// A topic that is not configured (any more) still streams, but its
	// instance stopped writing 20 minutes ago: stale.
	const gone = "/data/TaskChangeEvent"
	must(t, store.SaveStatus(ctx, replayTestOrg, gone, replay.Status{State: replay.StateStreaming, Holder: "vanished-host"}))
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	statusKey := prefix + "{" + replayTestOrg + "}:status:" + gone
	must(t, client.HSet(ctx, statusKey, "updated_at", now.Add(-20*time.Minute).UTC().Format(time.RFC3339Nano)).Err())
	for i := range 2 {
		_, err := store.AddDeadLetter(ctx, replayTestOrg, replay.DeadLetter{Object: "Case", RecordID: fmt.Sprintf("500%012d", i), Reason: "cm rejected comment"})
		must(t, err)
	}

	r := runStatusCmd(t, "--config", conf)
	wantExit(t, r, 0, "TOPIC", "REPLAY AGE", "LAST ERROR", "dead letters: 2", "sfcdc deadletters list")
	row := lineWith(r.stdout, replayTestTopic+" ")
	for _, want := range []string{"streaming", replayWorkerOwner, "2h ago", "2d2h (expires in 21h", "1s", " 10 ", " 8 ", " 6 ", " 3 "} {
		if !strings.Contains(row, want) {
			t.Errorf("Case row lacks %q: %q", want, row)
		}
	}
	// The keepalive was 30 min before the command started: seconds show
	// when the command ran a moment later (a loaded machine).
	if !regexp.MustCompile(`\b30m(\d+s)? ago\b`).MatchString(row) {
		t.Errorf("Case row lacks the keepalive 30m ago: %q", row)
	}
	if !strings.Contains(r.stdout, replayTestTopic+": replay ID expires in 21h") {
		t.Errorf("no expiry warning for %s:\n%s", replayTestTopic, r.stdout)
	}
	row = lineWith(r.stdout, replayOtherTopic+" ")
	for _, want := range []string{"failed", "worker-on-host-8", "never", "upload to CM: 401"} {
		if !strings.Contains(row, want) {
			t.Errorf("EmailMessage row lacks %q: %q", want, row)
		}
	}
	if row = lineWith(r.stdout, gone+" "); !strings.Contains(row, "streaming (stale)") {
		t.Errorf("the stale topic's row is %q", row)
	}
	if !strings.Contains(r.stdout, gone+": stale: streaming but not updated for 20m") {
		t.Errorf("no stale warning:\n%s", r.stdout)
	}

	r = runStatusCmd(t, "--config", conf, "--json")
	wantExit(t, r, 0)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("--json is not a JSON array: %v\n%s", err, r.stdout)
	}
	byTopic := map[string]map[string]any{}
	for _, row := range rows {
		byTopic[row["topic"].(string)] = row
	}
	if len(rows) != 3 || byTopic[replayTestTopic] == nil || byTopic[replayOtherTopic] == nil || byTopic[gone] == nil {
		t.Fatalf("--json rows: %s", r.stdout)
	}
	c := byTopic[replayTestTopic]
	age, _ := c["replay_age_seconds"].(float64)
	if c["state"] != "streaming" || c["replay_id"] != "00ab" || c["org_dead_letters"] != 2.0 || c["received"] != 10.0 ||
		c["lag_seconds"] != 1.5 || c["billable_units"] != 7.0 || c["keepalives"] != 4.0 || c["reconnects"] != 3.0 ||
		c["deleted"] != 6.0 || c["uploaded"] != 8.0 || c["events_skipped"] != 2.0 || c["last_keepalive_at"] == nil || c["configured"] != true || c["stale"] != false || age < 50*3600 || age > 51*3600 {
		t.Errorf("Case in JSON: %v", c)
	}
	if e := byTopic[replayOtherTopic]; e["state"] != "failed" || e["last_error"] != failure || e["replay_age_seconds"] != nil || e["checkpoint"] != "none" {
		t.Errorf("EmailMessage in JSON: %v", e)
	}
	if g := byTopic[gone]; g["stale"] != true || g["configured"] != false || g["ready"] != false ||
		!strings.HasPrefix(g["not_ready"].(string), "stale: streaming but not updated for 20m") {
		t.Errorf("the stale topic in JSON: %v", g)
	}
}

func TestStatusFlagsAnExpiredReplayIDAndAVanishedCheckpoint(t *testing.T) {
	t.Parallel()
	prefix := redisKeyPrefix(t)
	conf := replayConfig(t, fmt.Sprintf("  redis_url: redis://%s/0\n  key_prefix: %q", testRedisAddr(), prefix))
	store := statusTestStore(t, prefix)
	ctx := t.Context()
	for topic, age := range map[string]time.Duration{replayTestTopic: 80 * time.Hour, replayOtherTopic: time.Hour} {
		lease, err := store.AcquireLease(ctx, replayTestOrg, topic, replayWorkerOwner, time.Minute)
		must(t, err)
		must(t, store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}, CommitTime: time.Now().Add(-age)}))
		must(t, store.ReleaseLease(ctx, lease))
		must(t, store.SaveStatus(ctx, replayTestOrg, topic, replay.Status{State: replay.StateStopped, Holder: replayWorkerOwner}))
	}
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	must(t, client.Del(ctx, prefix+"{"+replayTestOrg+"}:checkpoint:"+replayOtherTopic).Err())

	r := runStatusCmd(t, "--config", conf)
	wantExit(t, r, 0, replayTestTopic+": replay ID EXPIRED", replayOtherTopic+": checkpoint vanished")
	if row := lineWith(r.stdout, replayTestTopic+" "); !strings.Contains(row, "3d8h EXPIRED") || !strings.Contains(row, "stopped") {
		t.Errorf("expired row: %q", row)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusOfARunningInstanceAndAfterItsShutdown(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "20", "--seed-records", "10")
	config := backfillConfig(t, b, redisKeyPrefix(t), "run:\n  flush_interval: 50ms\nmonitoring:\n  listen: off\n")
	env := backfillEnv(b)
	secrets := []string{b.AccessToken, b.CommsMiningToken, b.ClientSecret}
	status := func() map[string]any {
		r := runCanaryChecked(t, env, secrets, "status", "--config", config, "--json")
		wantExit(t, r, 0)
		var rows []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatalf("--json: %v\n%s", err, r.stdout)
		}
		for _, row := range rows {
			if row["topic"] == dlTopic {
				return row
			}
		}
		return nil
	}

	p := startRun(t, env, config)
	var row map[string]any
	pollUntil(t, p, "the running topic's status to show streamed events", func() bool {
		row = status()
		received, _ := row["received"].(float64)
		return row != nil && row["state"] == "streaming" && received > 0
	})
	if holder, _ := row["holder"].(string); holder == "" || row["stale"] != false || row["checkpoint"] == "vanished" {
		t.Errorf("a running topic's status: %v", row)
	}
	r := runCanaryChecked(t, env, secrets, "status", "--config", config)
	wantExit(t, r, 0, "TOPIC", "dead letters: ")
	if line := lineWith(r.stdout, dlTopic+" "); !strings.Contains(line, "streaming") {
		t.Errorf("table row of the running topic: %q", line)
	}

	p.terminate(t)
	if row = status(); row["state"] != "stopped" {
		t.Errorf("after the stop the topic's state is %v, want stopped", row["state"])
	}
}

// pollUntil calls cond every 200 ms (each call runs a process) until it
// holds; it fails if the run ends first or after two minutes.
func pollUntil(t *testing.T, p *runningCmd, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		select {
		case <-p.exited:
			t.Fatalf("sfcdc run ended before %s:\n%s", what, p.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s:\n%s", what, p.output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
