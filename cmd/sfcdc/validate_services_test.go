package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkedEnv is the environment of a validate run against the simulator
// b: no SFCDC_ setting of the test's own environment, the CM target in
// TEST_CM_* (the file refers to them) and extra, which may override any.
func checkedEnv(b simBanner, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SFCDC_") || strings.HasPrefix(kv, "SFCDC_TEST_REDIS_ADDR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "TEST_SF_TOKEN="+b.AccessToken, "TEST_SF_CLIENT_SECRET="+b.ClientSecret,
		"TEST_CM_URL="+b.CommsMiningURL, "TEST_CM_TOKEN="+b.CommsMiningToken,
		"TEST_CM_PROJECT="+b.CommsMiningProject, "TEST_CM_SOURCE="+b.CommsMiningSource)
	return append(env, extra...)
}

// staticSession is a salesforce section with the simulator's fixed session.
func staticSession(b simBanner) string {
	return fmt.Sprintf(`salesforce:
  access_token: ${TEST_SF_TOKEN}
  instance_url: %s
  tenant_id: %s
  ca_file: %s
  pubsub_endpoint: %s
`, b.InstanceURL, b.TenantID, b.CAFile, b.PubSubAddr)
}

// oauthSession is a salesforce section logging in to the simulator by
// flow; more is added under auth.
func oauthSession(b simBanner, flow, more string) string {
	return fmt.Sprintf(`salesforce:
  ca_file: %s
  pubsub_endpoint: %s
  auth:
    flow: %s
    login_url: %s
    client_id: %s
%s`, b.CAFile, b.PubSubAddr, flow, b.LoginURL, b.ClientID, more)
}

// fileStore is a store section with the embedded store in a new directory.
func fileStore(t *testing.T) string {
	return "store:\n  file_path: " + filepath.Join(t.TempDir(), "state.db") + "\n"
}

// checkedConfig writes a configuration of one object with the given
// salesforce and store sections; the CM target comes from TEST_CM_*.
func checkedConfig(t *testing.T, salesforce, store string) string {
	t.Helper()
	return writeFile(t, "sfcdc.yaml", salesforce+`commsmining:
  base_url: ${TEST_CM_URL}
  token: ${TEST_CM_TOKEN}
  project: ${TEST_CM_PROJECT}
  source: ${TEST_CM_SOURCE}
`+store+`objects:
  - object: Case
`)
}

// refusedAddr is a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// wantOneProblem runs validate and wants exit 1 with exactly one problem
// line holding every part of want, and no secret in the output.
func wantOneProblem(t *testing.T, b simBanner, env []string, conf string, want ...string) {
	t.Helper()
	r := runInProcess(t, env, "validate", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	problems := problemLines(r.stdout)
	if len(problems) != 1 {
		t.Fatalf("%d problem lines, want 1:\n%s", len(problems), r.output())
	}
	for _, w := range want {
		if !strings.Contains(problems[0], w) {
			t.Errorf("the problem does not say %q:\n%s", w, problems[0])
		}
	}
	if strings.HasPrefix(r.stdout, "OK") || strings.Contains(r.stdout, "\nOK") {
		t.Errorf("OK printed with a problem:\n%s", r.stdout)
	}
	wantNoSecrets(t, b, r.output())
	for _, canary := range []string{"CANARY-wrong-secret", "CANARY-wrong-cm-token"} {
		if strings.Contains(r.output(), canary) {
			t.Errorf("the output holds a wrong secret:\n%s", r.output())
		}
	}
}

// TestValidateNamesEachRefusedSettingItsCauseAndFixAndExits1: a refusal by
// Salesforce, CM or the store is a problem naming the cause and the fix,
// never "unreachable"; only a service nobody answers for is that.
func TestValidateNamesEachRefusedSettingItsCauseAndFixAndExits1(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	secret := "    client_secret: ${TEST_SF_CLIENT_SECRET}\n"
	for _, tc := range []struct {
		name       string
		salesforce string
		store      string
		env        []string
		want       []string
	}{
		{"a wrong client secret", oauthSession(b, "client_credentials", secret), "", []string{"TEST_SF_CLIENT_SECRET=CANARY-wrong-secret"},
			[]string{"salesforce: Salesforce refused the app's credentials", "invalid_client", "fix salesforce.auth.client_id / SFCDC_CLIENT_SECRET"}},
		{"no stored refresh token", oauthSession(b, "web_server", secret+"    token_file: "+filepath.Join(t.TempDir(), "token.json")+"\n"), "", nil,
			[]string{"salesforce: not logged in to Salesforce: no refresh token in file", "run `sfcdc auth login`"}},
		{"a missing JWT key file", oauthSession(b, "jwt_bearer", "    private_key_file: "+filepath.Join(t.TempDir(), "key.pem")+"\n    username: integration@example.com\n"), "", nil,
			[]string{"salesforce.auth.private_key_file: read private key", "no such file or directory", "or fix the path"}},
		{"a wrong CM token", "", "", []string{"TEST_CM_TOKEN=CANARY-wrong-cm-token"},
			[]string{"commsmining: CM refused the API token (401)", "set a valid SFCDC_CM_TOKEN"}},
		{"a CM source that does not exist", "", "", []string{"TEST_CM_SOURCE=nosuchsource"},
			[]string{"commsmining: the source " + b.CommsMiningProject + "/nosuchsource does not exist (404)", "fix commsmining.project / commsmining.source, or create the source"}},
		{"a CM URL that refuses connections", "", "", []string{"TEST_CM_URL=http://" + refusedAddr(t)},
			[]string{"commsmining: CM is unavailable", "connection refused", "check commsmining.base_url"}},
		{"a Redis nobody answers", "", "store:\n  redis_url: redis://" + refusedAddr(t) + "/0\n", nil,
			[]string{"store.redis_url: redis 127.0.0.1:", "does not answer", "check the host and port"}},
		{"a store file in a missing directory", "", "store:\n  file_path: " + filepath.Join(t.TempDir(), "missing", "state.db") + "\n", nil,
			[]string{"store.file_path: directory ", "does not exist: create it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sf, store := tc.salesforce, tc.store
			if sf == "" {
				sf = staticSession(b)
			}
			if store == "" {
				store = fileStore(t)
			}
			wantOneProblem(t, b, checkedEnv(b, tc.env...), checkedConfig(t, sf, store), tc.want...)
		})
	}
}

func TestValidateReportsEveryProblemOfOneRunAtOnce(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := checkedConfig(t, oauthSession(b, "client_credentials", "    client_secret: ${TEST_SF_CLIENT_SECRET}\n"),
		"store:\n  redis_url: redis://"+refusedAddr(t)+"/0\n")
	r := runInProcess(t, checkedEnv(b, "TEST_SF_CLIENT_SECRET=CANARY-wrong-secret", "TEST_CM_TOKEN=CANARY-wrong-cm-token"), "validate", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	problems := problemLines(r.stdout)
	for i, want := range []string{"problem: salesforce: ", "problem: commsmining: ", "problem: store.redis_url: "} {
		if len(problems) != 3 || !strings.HasPrefix(problems[i], want) {
			t.Fatalf("want three problems (Salesforce, CM, store), got %q:\n%s", problems, r.output())
		}
	}
	if !strings.Contains(r.stderr, "3 problem(s)") {
		t.Errorf("stderr does not count the problems: %q", r.stderr)
	}
}

func TestValidateChecksARedisStoreAndReportsItsPersistence(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("SFCDC_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	b := startSim(t, "--rate", "0")
	prefix := make([]byte, 6)
	_, _ = rand.Read(prefix)
	store := fmt.Sprintf("store:\n  redis_url: redis://%s/0\n  key_prefix: \"sfcdctest:%s:\"\n", addr, hex.EncodeToString(prefix))
	r := runInProcess(t, checkedEnv(b), "validate", "--config", checkedConfig(t, staticSession(b), store))
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", r.code, r.output())
	}
	if note := lineWith(r.stdout, "note: store: redis "+addr); !strings.Contains(note, "appendonly ") {
		t.Errorf("no note with the Redis persistence setting:\n%s", r.output())
	}
	if !strings.Contains(r.stdout, "store redis "+addr+" writable") {
		t.Errorf("the OK summary does not name the store:\n%s", r.output())
	}
}

func TestValidateOfflineChecksOnlyTheFile(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := checkedConfig(t, staticSession(b), "store:\n  redis_url: redis://"+refusedAddr(t)+"/0\n")
	r := runInProcess(t, checkedEnv(b, "TEST_CM_TOKEN=CANARY-wrong-cm-token"), "validate", "--offline", "--config", conf)
	if r.code != 0 || !strings.Contains(r.stdout, "OK: the file (--offline: Salesforce, CM and the store were not asked)") {
		t.Fatalf("exit code %d, want 0 and an OK that says what was not asked:\n%s", r.code, r.output())
	}
}

func TestBackfillDryRunRefusesAWrongCMTokenAndEstimatesNothing(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "20")
	conf := checkedConfig(t, staticSession(b), fileStore(t))
	r := runInProcess(t, checkedEnv(b, "TEST_CM_TOKEN=CANARY-wrong-cm-token"), "backfill", "--dry-run", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	if !strings.Contains(r.stderr, "commsmining: CM refused the API token (401)") || !strings.Contains(r.stderr, "nothing was estimated") {
		t.Errorf("the refusal is not named:\n%s", r.output())
	}
	if strings.Contains(r.output(), "CANARY-wrong-cm-token") {
		t.Errorf("the output holds the token:\n%s", r.output())
	}
	r = runInProcess(t, checkedEnv(b), "backfill", "--dry-run", "--config", conf)
	if r.code != 0 {
		t.Fatalf("with the right token: exit code %d, want 0:\n%s", r.code, r.output())
	}
}
