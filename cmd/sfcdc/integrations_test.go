package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
)

// serveExample is the serve configuration of examples/serve, and the
// integration file there for the simulators.
var (
	serveExample       = filepath.Join("..", "..", "examples", "serve", "serve.yaml")
	integrationExample = filepath.Join("..", "..", "examples", "serve", "integrations", "support.yaml")
)

// serveEnv is the environment of `sfcdc serve` and `sfcdc integrations`
// against the simulator of b: the variables scripts/simenv exports, a
// secret key and a Redis key prefix of the test's own.
func serveEnv(t *testing.T, b simBanner) []string {
	t.Helper()
	key, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return append(simEnv(b), "SFCDC_CM_URL="+b.CommsMiningURL, "SFCDC_CM_TOKEN="+b.CommsMiningToken,
		"SFCDC_CM_PROJECT="+b.CommsMiningProject, "SFCDC_CM_SOURCE="+b.CommsMiningSource,
		"SFCDC_SECRET_KEY="+key, "SERVE_KEY_PREFIX="+redisKeyPrefix(t))
}

// The integrations commands against a running `sfcdc serve`, on the real
// Redis and the simulators: an integration applied with ${VAR} secrets
// streams; list, show, disable, enable and delete --purge act on it; no
// command prints a secret and Redis holds none in plaintext.
func TestIntegrationsCommandsDriveARunningServe(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "20")
	env := serveEnv(t, b)
	secrets := []string{b.AccessToken, b.CommsMiningToken}
	var printed strings.Builder
	run := func(want int, args ...string) string {
		t.Helper()
		r := runInProcess(t, env, append(args, "--config", serveExample)...)
		printed.WriteString(r.output())
		if r.code != want {
			t.Fatalf("sfcdc %s: exit %d, want %d:\n%s", strings.Join(args, " "), r.code, want, r.output())
		}
		return r.stdout
	}

	if out := run(0, "integrations", "apply", "-f", integrationExample, "--dry-run"); !strings.Contains(out, "created    sfcdc/support") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("apply --dry-run printed:\n%s", out)
	}
	if out := run(0, "integrations", "list"); !strings.Contains(out, "no integrations") {
		t.Fatalf("list after a dry run:\n%s", out)
	}
	if out := run(0, "integrations", "apply", "-f", integrationExample); !strings.Contains(out, "created    sfcdc/support (version") {
		t.Fatalf("apply printed:\n%s", out)
	}
	if out := run(0, "integrations", "apply", "-f", filepath.Dir(integrationExample)); !strings.Contains(out, "unchanged  sfcdc/support") {
		t.Fatalf("apply of the folder again printed:\n%s", out)
	}

	// --listen: the example's default address belongs to the README
	// walk-through, which e2e runs beside this package.
	srv := startInProcess(t, env, "serve", "--config", serveExample, "--listen", "127.0.0.1:0")
	srv.await(t, "the seeded emails in CM", func() bool { return len(cmCommentIDs(t, b)) >= 20 })
	srv.await(t, "list to show the integration streaming", func() bool {
		return strings.Contains(lineWith(run(0, "integrations", "list"), "sfcdc/support"), "streaming")
	})
	var views []serve.IntegrationView
	if err := json.Unmarshal([]byte(run(0, "integrations", "list", "--json")), &views); err != nil || len(views) != 1 {
		t.Fatalf("list --json: %v (%d integrations)", err, len(views))
	}
	if len(views[0].Units) != 4 || views[0].Units[0].Instance == "" {
		t.Fatalf("list --json units %+v; want the three topics and the polling part, each with its instance", views[0].Units)
	}
	if out := run(0, "integrations", "show", "sfcdc/support"); !strings.Contains(out, "access_token: (sealed)") || !strings.Contains(out, "streaming") {
		t.Fatalf("show printed:\n%s", out)
	}
	run(0, "integrations", "show", "sfcdc/support", "--json")
	if out := run(0, "status", "--integration", "sfcdc/support"); !strings.Contains(out, "/data/EmailMessageChangeEvent") {
		t.Fatalf("status --integration printed:\n%s", out)
	}
	run(1, "status", "--integration", "sfcdc/none")
	run(1, "integrations", "show", "sfcdc/none")

	run(2, "integrations", "disable", "sfcdc/support")
	run(0, "integrations", "disable", "sfcdc/support", "--reason", "customer maintenance")
	srv.await(t, "list to show it disabled and no unit held", func() bool {
		out := run(0, "integrations", "list")
		return strings.Contains(out, "user: customer maintenance") && !strings.Contains(out, "streaming")
	})
	run(0, "integrations", "enable", "sfcdc/support")
	srv.await(t, "it to stream again", func() bool {
		return strings.Contains(lineWith(run(0, "integrations", "list"), "sfcdc/support"), "streaming")
	})
	if out := run(0, "integrations", "delete", "sfcdc/support", "--purge"); !strings.Contains(out, "purged     sfcdc/support") {
		t.Fatalf("delete --purge printed:\n%s", out)
	}
	run(1, "integrations", "show", "sfcdc/support")
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d when stopped:\n%s", code, srv.output())
	}
	printed.WriteString(srv.output())
	for _, s := range secrets {
		if strings.Contains(printed.String(), s) {
			t.Fatalf("a secret of the simulators was printed:\n%s", printed.String())
		}
	}
	noSecretInRedis(t, envOf(env), secrets)
}

// noSecretInRedis fails when any value under the test's key prefix holds
// one of secrets in plaintext.
func noSecretInRedis(t *testing.T, env func(string) (string, bool), secrets []string) {
	t.Helper()
	prefix, _ := env("SERVE_KEY_PREFIX")
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	ctx := context.Background()
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("the keys under %s: %v (%d)", prefix, err, len(keys))
	}
	for _, k := range keys {
		dump, err := client.Dump(ctx, k).Result()
		if err != nil {
			continue // expired meanwhile
		}
		for _, s := range secrets {
			if strings.Contains(dump, s) {
				t.Fatalf("Redis key %s holds a secret in plaintext", k)
			}
		}
	}
}

// A bad integration file is refused with every problem named, exit 2, and
// nothing is written.
func TestIntegrationsApplyRefusesABadFileNamingEveryProblem(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	env := serveEnv(t, b)
	bad := writeFile(t, "bad.yaml", `name: sfcdc/bad
salesforce:
  access_token: ${SFCDC_ACCESS_TOKEN}
  instance_url: ${SFCDC_INSTANCE_URL}
commsmining:
  base_url: ${SFCDC_CM_URL}
  token: ${SFCDC_CM_TOKEN}
  project: sfcdc
objcts:
  - object: Case
`)
	r := runInProcess(t, env, "integrations", "apply", "-f", bad, "--config", serveExample)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want 2:\n%s", r.code, r.output())
	}
	for _, want := range []string{"nothing was applied", "commsmining.source", "objcts (line 9): unknown key; did you mean objects?"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error lacks %q:\n%s", want, r.stderr)
		}
	}
	if out := runInProcess(t, env, "integrations", "list", "--config", serveExample); !strings.Contains(out.stdout, "no integrations") {
		t.Fatalf("a bad file wrote something:\n%s", out.output())
	}
	if strings.Contains(r.output(), b.CommsMiningToken) {
		t.Fatalf("the error shows the CM token:\n%s", r.output())
	}

	// Well formed, but the org has no such object and CM no such source.
	refused := writeFile(t, "refused.yaml", `name: sfcdc/refused
salesforce:
  access_token: ${SFCDC_ACCESS_TOKEN}
  instance_url: ${SFCDC_INSTANCE_URL}
  tenant_id: ${SFCDC_TENANT_ID}
  ca_file: ${SFCDC_CA_FILE}
  pubsub_endpoint: ${SFCDC_PUBSUB_ADDR}
commsmining:
  base_url: ${SFCDC_CM_URL}
  token: ${SFCDC_CM_TOKEN}
  project: ${SFCDC_CM_PROJECT}
  source: no-such-source
objects:
  - object: NoSuchObject__c
    comment: {body: [Description__c]}
`)
	r = runInProcess(t, env, "integrations", "apply", "-f", refused, "--config", serveExample)
	if r.code != exitUsage || !strings.Contains(r.stderr, "sfcdc/refused: ") || !strings.Contains(r.stderr, "NoSuchObject__c") || !strings.Contains(r.stderr, "no-such-source") {
		t.Fatalf("exit %d, want 2 naming the object and the source:\n%s", r.code, r.output())
	}
	if r := runInProcess(t, env, "integrations", "apply", "-f", refused, "--offline", "--dry-run", "--config", serveExample); r.code != 0 {
		t.Fatalf("--offline: exit %d, want 0 (the file alone is valid):\n%s", r.code, r.output())
	}
	if out := runInProcess(t, env, "integrations", "list", "--config", serveExample); !strings.Contains(out.stdout, "no integrations") {
		t.Fatalf("a refused integration was written:\n%s", out.output())
	}
}
