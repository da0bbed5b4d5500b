package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/replay"
)

// Secrets of the replay tests' configuration: no output may hold them.
const (
	replayCanarySF    = "00Dcanary!SFTOKEN-must-never-be-printed"
	replayCanaryCM    = "cm-canary-token-must-never-be-printed"
	replayTestOrg     = "00D5e000000TEST"
	replayTestTopic   = "/data/CaseChangeEvent"
	replayOtherTopic  = "/data/EmailMessageChangeEvent"
	replayWorkerOwner = "worker-on-host-7"
)

// replayConfig writes a configuration whose store section is store.
func replayConfig(t *testing.T, store string) string {
	t.Helper()
	return writeFile(t, "sfcdc.yaml", fmt.Sprintf(`salesforce:
  access_token: ${TEST_SF_TOKEN}
  instance_url: https://example.my.salesforce.com
  tenant_id: %s
commsmining:
  base_url: http://127.0.0.1:9
  token: ${TEST_CM_TOKEN}
  project: p
  source: s
store:
%s
objects:
  - object: Case
  - object: EmailMessage
`, replayTestOrg, store))
}

// replayEnv is the environment of the replay tests: no session from the
// outside, canary secrets in.
func replayEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SFCDC_") {
			env = append(env, kv)
		}
	}
	return append(env, "TEST_SF_TOKEN="+replayCanarySF, "TEST_CM_TOKEN="+replayCanaryCM)
}

// runReplay runs `sfcdc replay args…` and checks no secret is printed.
func runReplay(t *testing.T, args ...string) result {
	t.Helper()
	r := runInProcess(t, replayEnv(), append([]string{"replay"}, args...)...)
	for _, secret := range []string{replayCanarySF, replayCanaryCM} {
		if strings.Contains(r.output(), secret) {
			t.Errorf("replay %v printed a secret:\n%s", args, r.output())
		}
	}
	return r
}

func wantExit(t *testing.T, r result, code int, contains ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d:\n%s", r.code, code, r.output())
	}
	for _, s := range contains {
		if !strings.Contains(r.output(), s) {
			t.Errorf("output lacks %q:\n%s", s, r.output())
		}
	}
}

func TestReplayShowSetResetRoundTripOnRedisRespectsLeasesAndConfirmation(t *testing.T) {
	t.Parallel()
	prefix := redisKeyPrefix(t)
	storeSection := fmt.Sprintf("  redis_url: redis://%s/0\n  key_prefix: %q", testRedisAddr(), prefix)
	conf := replayConfig(t, storeSection)
	cfg := "--config=" + conf
	topic := "--topic=" + replayTestTopic

	r := runReplay(t, "show", cfg)
	wantExit(t, r, 0, replayTestTopic+": none", replayOtherTopic+": none")

	// Without --yes and without a terminal: refused, nothing written.
	r = runReplay(t, "set", cfg, topic, "--replay-id", "00ff10")
	wantExit(t, r, 2, "pass --yes")
	r = runReplay(t, "reset", cfg, topic)
	wantExit(t, r, 2, "pass --yes")
	wantExit(t, runReplay(t, "show", cfg, topic), 0, replayTestTopic+": none")

	// Bad arguments.
	wantExit(t, runReplay(t, "set", cfg, topic, "--replay-id", "xyz", "--yes"), 2, "--replay-id")
	wantExit(t, runReplay(t, "set", cfg, "--replay-id", "00", "--yes"), 2, "--topic is required")
	wantExit(t, runReplay(t, "reset", cfg, "--topic=/data/Other", "--yes"), 2, "not configured")

	// Set, 61 hours old: shown with a warning.
	commit := time.Now().Add(-61 * time.Hour).UTC().Format(time.RFC3339)
	r = runReplay(t, "set", cfg, topic, "--replay-id", "00ff10", "--commit-time", commit, "--yes")
	wantExit(t, r, 0, "done: replay_id=00ff10")
	r = runReplay(t, "show", cfg)
	wantExit(t, r, 0, "replay_id=00ff10", "commit_time="+commit, "WARNING: expires in", replayOtherTopic+": none")

	// A worker holds the lease: set and reset refuse and name it.
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + testRedisAddr() + "/0", KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lease, err := store.AcquireLease(t.Context(), replayTestOrg, replayTestTopic, replayWorkerOwner, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r = runReplay(t, "set", cfg, topic, "--replay-id", "01", "--yes")
	wantExit(t, r, 1, "lease is held by \""+replayWorkerOwner+"\"")
	r = runReplay(t, "reset", cfg, topic, "--yes")
	wantExit(t, r, 1, "lease is held by \""+replayWorkerOwner+"\"")
	wantExit(t, runReplay(t, "show", cfg, topic), 0, "replay_id=00ff10")
	// The tool did not disturb the worker's lease.
	if _, err := store.RenewLease(t.Context(), lease); err != nil {
		t.Fatalf("the worker lost its lease: %v", err)
	}
	if err := store.ReleaseLease(t.Context(), lease); err != nil {
		t.Fatal(err)
	}

	// Reset: the topic reads as never checkpointed, not as vanished.
	wantExit(t, runReplay(t, "reset", cfg, topic, "--yes"), 0, "done: none")
	if _, err := store.Checkpoint(t.Context(), replayTestOrg, replayTestTopic); !errors.Is(err, replay.ErrNotFound) {
		t.Errorf("after reset Checkpoint = %v, want ErrNotFound", err)
	}
	// The tool released its lease: a worker can take it at once.
	if _, err := store.AcquireLease(t.Context(), replayTestOrg, replayTestTopic, replayWorkerOwner, time.Minute); err != nil {
		t.Errorf("the tool kept the lease: %v", err)
	}

	// Expired and vanished checkpoints.
	old := time.Now().Add(-80 * time.Hour).UTC().Format(time.RFC3339)
	other := "--topic=" + replayOtherTopic
	wantExit(t, runReplay(t, "set", cfg, other, "--replay-id", "0a", "--commit-time", old, "--yes"), 0)
	wantExit(t, runReplay(t, "show", cfg, other), 0, "replay_id=0a", "EXPIRED")
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	if err := client.Del(context.Background(), prefix+"{"+replayTestOrg+"}:checkpoint:"+replayOtherTopic).Err(); err != nil {
		t.Fatal(err)
	}
	wantExit(t, runReplay(t, "show", cfg, other), 0, replayOtherTopic+": vanished")
}

func TestReplayRoundTripOnTheFileStore(t *testing.T) {
	t.Parallel()
	conf := replayConfig(t, "  file_path: "+filepath.Join(t.TempDir(), "state.db"))
	cfg, topic := "--config="+conf, "--topic="+replayTestTopic
	wantExit(t, runReplay(t, "show", cfg), 0, replayTestTopic+": none")
	wantExit(t, runReplay(t, "set", cfg, topic, "--replay-id", "0x0102", "--yes"), 0, "done: replay_id=0102", "commit_time=unknown")
	wantExit(t, runReplay(t, "show", cfg, topic), 0, "replay_id=0102")
	wantExit(t, runReplay(t, "reset", cfg, topic), 2, "pass --yes")
	wantExit(t, runReplay(t, "reset", cfg, topic, "--yes"), 0, "done: none")
	wantExit(t, runReplay(t, "show", cfg, topic), 0, replayTestTopic+": none")
}

func TestReplayWithoutSubcommandOrConfigIsAUsageError(t *testing.T) {
	t.Parallel()
	wantExit(t, runReplay(t), 2, "show, set or reset")
	wantExit(t, runReplay(t, "show"), 2, "--config is required")
}
