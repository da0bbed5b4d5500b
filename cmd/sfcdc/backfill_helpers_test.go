package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// testRedisAddr is the shared test Redis (scripts/test.sh sets the variable).
var testRedisAddr = simworld.RedisAddr

// redisKeyPrefix is a key prefix no other test uses; its keys are deleted
// at cleanup.
func redisKeyPrefix(t *testing.T) string {
	t.Helper()
	return clitest.RedisKeyPrefix(t)
}

// backfillConfig writes a configuration for the simulator of b: its CM
// token comes from TEST_CM_TOKEN, the Salesforce session from simEnv.
func backfillConfig(t *testing.T, b simBanner, prefix, extra string) string {
	t.Helper()
	return writeFile(t, "sfcdc.yaml", fmt.Sprintf(`commsmining:
  base_url: %s
  token: ${TEST_CM_TOKEN}
  project: %s
  source: %s
store:
  redis_url: redis://%s/0
  key_prefix: %q
objects:
  - object: EmailMessage
%s`, b.CommsMiningURL, b.CommsMiningProject, b.CommsMiningSource, testRedisAddr(), prefix, extra))
}

// backfillEnv is the environment of a backfill against b.
func backfillEnv(b simBanner) []string {
	return append(simEnv(b), "TEST_CM_TOKEN="+b.CommsMiningToken)
}

// simStats reads the simulated CM's counters.
func simStats(t *testing.T, b simBanner) commsmining.Stats {
	t.Helper()
	resp, err := http.Get(b.CommsMiningURL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st commsmining.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// cmCommentIDs pages through the simulated CM source with its API.
func cmCommentIDs(t *testing.T, b simBanner) map[string]bool {
	t.Helper()
	return clitest.CMCommentIDs(t, b)
}

// sfRecordIDs queries the simulated org for an object's record IDs.
func sfRecordIDs(t *testing.T, b simBanner, object string) []string {
	t.Helper()
	creds := salesforce.StaticSession{AccessToken: b.AccessToken, InstanceURL: b.InstanceURL, TenantID: b.TenantID}
	sf, err := salesforce.NewClient(salesforce.Config{CAFile: b.CAFile}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	var ids []string
	for rec, err := range sf.Query(context.Background(), "SELECT Id FROM "+object, salesforce.QueryOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID())
	}
	return ids
}

// waitFor polls cond every few milliseconds until it holds, the process
// ends, or a minute passes.
func waitFor(t *testing.T, proc *exec.Cmd, exited <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("the process ended before %s", what)
		default:
		}
		if time.Now().After(deadline) {
			_ = proc.Process.Kill()
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lineWith returns the first line of s containing substr.
func lineWith(s, substr string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			return line
		}
	}
	return ""
}

// readFile returns a file's content.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
