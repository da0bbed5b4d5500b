package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validConfig is a complete configuration the cases below break one key
// of at a time.
const validConfig = `
salesforce:
  access_token: ${TEST_SF_TOKEN}
  instance_url: https://example.my.salesforce.com
  tenant_id: 00D5Y0000000001UAA
commsmining:
  base_url: https://example.reinfer.io
  token: ${TEST_CM_TOKEN}
  project: support
  source: salesforce
store:
  redis_url: redis://127.0.0.1:6379/0
backfill:
  overlap: 2m
objects:
  - object: EmailMessage
`

// writeFile writes a file into the test's directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clearConnectionEnv keeps the caller's environment from overriding keys.
func clearConnectionEnv(t *testing.T) {
	for _, name := range []string{"SFCDC_PUBSUB_ADDR", "SFCDC_ACCESS_TOKEN", "SFCDC_INSTANCE_URL", "SFCDC_TENANT_ID",
		"SFCDC_CA_FILE", "SFCDC_INSECURE", "SFCDC_AUTH_FLOW", "SFCDC_CM_TOKEN"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestTheExampleConfigurationIsValid(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("SFCDC_CLIENT_ID", "3MVG9exampleConsumerKey")
	t.Setenv("SFCDC_CM_TOKEN", "example-cm-token")
	t.Setenv("SFCDC_REDIS_PASSWORD", "example-redis-password")
	cfg, err := loadConfig(filepath.Join("..", "..", "examples", "sfcdc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Backfill.Overlap != 5*time.Minute || len(cfg.Objects) != 4 || cfg.Objects[2].Comment.Properties["Case Number"] != "Parent.CaseNumber" {
		t.Fatalf("the example decoded as %+v", cfg)
	}
	if cfg.Store.RedisPassword != "example-redis-password" || string(cfg.CommsMining.Token) != "example-cm-token" {
		t.Fatal("${VAR} references were not expanded")
	}
}

func TestBadConfigurationsAreRefusedNamingTheKeyAndTheFix(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string
	}{
		{"a misspelt key", [2]string{"  project: support", "  projekt: support"}, "field projekt not found"},
		{"no CM token", [2]string{"  token: ${TEST_CM_TOKEN}", ""}, "commsmining.token: required; create an API token in CM"},
		{"no store", [2]string{"  redis_url: redis://127.0.0.1:6379/0", ""}, "store.redis_url, redis_addrs, file_path: none set"},
		{"plaintext Redis across the network", [2]string{"127.0.0.1:6379", "redis.internal:6379"}, `store.redis_url: plaintext redis:// to "redis.internal"; use rediss://`},
		{"a page size Salesforce refuses", [2]string{"  overlap: 2m", "  page_size: 50"}, "backfill.page_size: 50 is outside 200–2000"},
		{"a budget above the limit", [2]string{"  overlap: 2m", "  api_budget_percent: 150"}, "backfill.api_budget_percent: 150 is outside 1–100"},
		{"no objects", [2]string{"  - object: EmailMessage", ""}, "objects: none listed"},
		{"a custom object without a body", [2]string{"object: EmailMessage", "object: Ticket__c"}, "objects[0] (Ticket__c).comment.body: required"},
		{"a delete policy that does not exist", [2]string{"object: EmailMessage", "object: EmailMessage\n    on_delete: purge"}, "on_delete: \"purge\" is not a policy; use delete or keep"},
		{"no Salesforce session", [2]string{"  access_token: ${TEST_SF_TOKEN}", ""}, "salesforce.access_token is empty"},
		{"an overlap that is not a duration", [2]string{"overlap: 2m", "overlap: soon"}, "parse config file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearConnectionEnv(t)
			t.Setenv("TEST_SF_TOKEN", "sf-token")
			t.Setenv("TEST_CM_TOKEN", "cm-token")
			path := writeFile(t, "sfcdc.yaml", strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1))
			_, err := loadConfig(path)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("loadConfig: %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\nlacks %q", err, tc.want)
			}
		})
	}
}

func TestEveryProblemOfAConfigurationIsReportedAtOnce(t *testing.T) {
	clearConnectionEnv(t)
	path := writeFile(t, "sfcdc.yaml", "backfill:\n  page_size: 1\n")
	_, err := loadConfig(path)
	if err == nil {
		t.Fatal("an empty configuration was accepted")
	}
	for _, key := range []string{"salesforce.access_token", "salesforce.instance_url", "salesforce.tenant_id", "commsmining.base_url",
		"commsmining.token", "commsmining.project", "commsmining.source", "store.", "backfill.page_size", "objects:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not mention %s:\n%v", key, err)
		}
	}
}

func TestAConfigurationErrorNeverShowsASecretValue(t *testing.T) {
	clearConnectionEnv(t)
	const canary = "CANARY-cm-token-4b1d"
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", canary+" with a space")
	t.Setenv("TEST_SECRET", canary)
	for name, content := range map[string]string{
		"a token with whitespace":          validConfig,
		"a secret under a number key":      strings.Replace(validConfig, "  overlap: 2m", "  page_size: ${TEST_SECRET}", 1),
		"a secret where a list belongs":    strings.Replace(validConfig, "  - object: EmailMessage", "  ${TEST_SECRET}", 1),
		"a secret in a redis URL password": strings.Replace(validConfig, "redis://127.0.0.1", "redis://:${TEST_SECRET}@10.0.0.1", 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(writeFile(t, "sfcdc.yaml", content))
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}

// ${VAR} values are taken verbatim after parsing, so a secret holding YAML
// syntax cannot change the document, and a "$" written in the file that
// starts no ${VAR} (as in a password) stays as written.
func TestEnvironmentValuesAreTakenVerbatimAndALiteralDollarStays(t *testing.T) {
	clearConnectionEnv(t)
	const sfToken, cmToken = "00Dx!AQ: token # not a comment", `cm#"quoted":'token'`
	t.Setenv("TEST_SF_TOKEN", sfToken)
	t.Setenv("TEST_CM_TOKEN", cmToken)
	t.Setenv("TEST_REDIS_PASSWORD", "x")
	const password = "pa$$w$rd$TEST_REDIS_PASSWORD"
	content := strings.Replace(validConfig, "  redis_url: redis://127.0.0.1:6379/0\n",
		"  redis_url: redis://127.0.0.1:6379/0\n  redis_password: "+password+"\n", 1)
	cfg, err := loadConfig(writeFile(t, "sfcdc.yaml", content))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Salesforce.AccessToken; got != sfToken {
		t.Errorf("access token %q: the environment value was not taken verbatim", got)
	}
	if got := string(cfg.CommsMining.Token); got != cmToken {
		t.Errorf("CM token %q: the environment value was not taken verbatim", got)
	}
	if got := cfg.Store.RedisPassword; got != password {
		t.Errorf("redis password %q: a literal $ in the file was rewritten", got)
	}
}

// A file given by mistake (a log, a dump) is refused by its size, before
// it is read whole or any of its values is echoed.
func TestAConfigurationFileOverOneMiBIsRefusedWithItsSizeAndTheLimit(t *testing.T) {
	clearConnectionEnv(t)
	for name, size := range map[string]int{"2 MiB": 2 << 20, "one byte over": maxConfigBytes + 1} {
		t.Run(name, func(t *testing.T) {
			content := validConfig + "# " + strings.Repeat("x", size-len(validConfig)-3) + "\n"
			path := writeFile(t, "big.yaml", content)
			_, err := loadConfig(path)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("loadConfig: %v, want a usage error", err)
			}
			for _, want := range []string{path, fmt.Sprintf("it is %d bytes", size), "1 MiB (1048576 bytes)"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nlacks %q", err, want)
				}
			}
		})
	}
}

func TestAConfigurationFileOfOneMiBIsRead(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", "cm-token")
	content := validConfig + "# " + strings.Repeat("x", maxConfigBytes-len(validConfig)-3) + "\n"
	if _, err := loadConfig(writeFile(t, "sfcdc.yaml", content)); err != nil {
		t.Fatal(err)
	}
}

// The size limit holds after ${VAR} expansion too: one large variable
// referenced many times cannot make the configuration gigabytes long.
func TestEnvironmentValuesCannotMakeTheConfigurationLargerThanTheLimit(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", "cm-token")
	t.Setenv("TEST_BIG", strings.Repeat("b", 100<<10))
	content := strings.Replace(validConfig, "  project: support", "  project: "+strings.Repeat("${TEST_BIG}", 11), 1)
	_, err := loadConfig(writeFile(t, "sfcdc.yaml", content))
	if err == nil || !strings.Contains(err.Error(), "more than 1 MiB") || len(err.Error()) > 400 {
		t.Fatalf("loadConfig: %.500v, want a short error naming the limit", err)
	}
}
