package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/engine"
)

// executeInProcess runs the command line in this process, as main does,
// with an empty environment, and returns its exit code and outputs.
func executeInProcess(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = execute(ctx, envOf([]string{}), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAnUnknownCommandAndStrayArgumentsExitWithTheUsageCode(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"bogus"}, {"status", "extra"}, {"replay", "bogus"}, {"version", "--bogus"}} {
		code, _, stderr := executeInProcess(t.Context(), args...)
		if code != exitUsage || !strings.Contains(stderr, "unknown") {
			t.Errorf("sfcdc %v: exit %d, stderr %q; want exit 2 naming what is unknown", args, code, stderr)
		}
	}
}

func TestSubscribeRefusesANegativeLimit(t *testing.T) {
	t.Parallel()
	code, _, stderr := executeInProcess(t.Context(), "subscribe", "--topic", "/data/CaseChangeEvent", "--limit", "-1")
	if code != exitUsage || !strings.Contains(stderr, "--limit -1") {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming --limit", code, stderr)
	}
}

func TestReplaySetHelpNamesTheReplayIDPlaceholder(t *testing.T) {
	t.Parallel()
	code, stdout, _ := executeInProcess(t.Context(), "replay", "set", "--help")
	if code != 0 || !strings.Contains(stdout, "--replay-id HEX ") || !strings.Contains(stdout, "--commit-time RFC3339 ") {
		t.Fatalf("exit %d, help:\n%s\nwant --replay-id HEX and --commit-time RFC3339", code, stdout)
	}
}

// A signal (the context ending) is a normal stop: exit 0 and no
// "sfcdc: context canceled" line. The context has ended before the
// command starts, which is the same stop at its earliest point.
func TestSubscribeStoppedBySignalExitsZeroWithoutAnErrorLine(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	defer lis.Close()
	conf := writeFile(t, "sfcdc.yaml", fmt.Sprintf(`salesforce:
  pubsub_endpoint: %s
  insecure: true
  access_token: token
  instance_url: http://127.0.0.1:9
  tenant_id: 00D5e000000TEST
`, addr))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	code, _, stderr := executeInProcess(ctx, "subscribe", "--config", conf, "--topic", "/data/CaseChangeEvent")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
}

// `sfcdc status` reads only the store: with an OAuth configuration it
// must not ask Salesforce for a session to name the org.
func TestStatusWithAnOAuthConfigurationNeedsNoSalesforce(t *testing.T) {
	t.Parallel()
	prefix := redisKeyPrefix(t)
	conf := writeFile(t, "sfcdc.yaml", fmt.Sprintf(`salesforce:
  auth:
    flow: web_server
    login_url: https://login.salesforce.com
    client_id: app
    client_secret: secret-not-needed
commsmining:
  base_url: http://127.0.0.1:9
  token: t
  project: p
  source: s
store:
  redis_url: redis://%s/0
  key_prefix: %q
objects:
  - object: Case
`, testRedisAddr(), prefix))
	code, _, stderr := executeInProcess(t.Context(), "status", "--config", conf)
	if code != exitUsage || !strings.Contains(stderr, "salesforce.tenant_id") || strings.Contains(stderr, "Salesforce session") {
		t.Fatalf("before any run: exit %d, stderr %q; want exit 2 naming salesforce.tenant_id, no session", code, stderr)
	}
	// What `sfcdc run` and `sfcdc backfill` do once they know the org.
	store := statusTestStore(t, prefix)
	engine.RememberOrg(t.Context(), store, replayTestOrg, slog.New(slog.DiscardHandler))
	code, stdout, stderr := executeInProcess(t.Context(), "status", "--config", conf)
	if code != 0 || !strings.Contains(stdout, "org "+replayTestOrg) {
		t.Fatalf("after the org was stored: exit %d, stdout %q, stderr %q; want the org's status", code, stdout, stderr)
	}
	code, stdout, _ = executeInProcess(t.Context(), "replay", "show", "--config", conf)
	if code != 0 || !strings.Contains(stdout, "/data/CaseChangeEvent") {
		t.Fatalf("replay show: exit %d, stdout %q", code, stdout)
	}
}

// A Redis that does not answer is one line naming the store key and the
// address, never the password; go-redis's own lines stay at debug.
func TestAStoreThatDoesNotAnswerIsOneLineNamingTheKeyAndAddress(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	conf := replayConfig(t, fmt.Sprintf("  redis_url: redis://:hunter2-canary@%s/0", addr))
	for _, args := range [][]string{{"status"}, {"replay", "show"}, {"deadletters", "list"}} {
		r := runCanaryChecked(t, replayEnv(), []string{replayCanarySF, replayCanaryCM, "hunter2-canary"},
			append(args, "--config", conf)...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitFailure || len(lines) != 1 || !strings.Contains(lines[0], "store.redis_url "+addr) {
			t.Errorf("sfcdc %v: exit %d, stderr:\n%s\nwant exit 1 and one line naming store.redis_url %s", args, r.code, r.stderr, addr)
		}
	}
}
