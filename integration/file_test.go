package integration_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/replay"
)

// The tests below read whole configuration files as sfcdc does: one
// integration's sections and the process's own (store, monitoring), in a
// Document that embeds the Spec, as cmd/sfcdc's file type does.

// processFile is a process's configuration file: the integration inline,
// plus the store and the monitoring sections.
type processFile struct {
	integration.Spec `yaml:",inline"`
	Store            replay.Config    `yaml:"store"`
	Monitoring       monitor.Settings `yaml:"monitoring"`
}

func (c *processFile) Integration() *integration.Spec { return &c.Spec }

func (c processFile) Problems() []string {
	problems := c.Spec.Problems()
	problems = append(problems, integration.Keyed("store.", c.Store.Validate())...)
	return append(problems, integration.Keyed("monitoring.", c.Monitoring.Validate())...)
}

// loadConfig loads the file at path with the test process's environment
// (the package itself reads none).
func loadConfig(path string) (processFile, error) {
	return integration.LoadFile[processFile](path, os.LookupEnv)
}

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
	cfg, err := loadConfig(filepath.Join("..", "examples", "sfcdc.yaml"))
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

// Each defect is one line: the dotted key, its line in the file, and the
// fix, in the operator's words (never the YAML library's or Go's).
func TestBadConfigurationsAreRefusedNamingTheKeyAndTheFix(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string    // the whole message
	}{
		{"a misspelt key", [2]string{"  project: support", "  projcet: support"}, "commsmining.projcet (line 9): unknown key; did you mean project?"},
		{"a misspelt key in another case", [2]string{"  project: support", "  Project: support"}, "commsmining.Project (line 9): unknown key; did you mean project?"},
		{"a key in the wrong section", [2]string{"  overlap: 2m", "  overlap: 2m\n  holder: worker-1"}, "backfill.holder (line 15): unknown key here; did you mean run.holder?"},
		{"an unknown key with no near one", [2]string{"  overlap: 2m", "  speed: fast"},
			"backfill.speed (line 14): unknown key; the keys of backfill are overlap, no_overlap, page_size, api_budget_percent, poll_interval, upload_concurrency, bulk_threshold, api, bulk_max_records"},
		{"an unknown section", [2]string{"backfill:", "backfil:"}, "backfil (line 13): unknown key; did you mean backfill?"},
		{"a key given twice", [2]string{"  source: salesforce", "  source: salesforce\n  project: other"}, "commsmining.project (line 11): given twice (first at line 9); keep one"},
		{"words for a number", [2]string{"  source: salesforce", "  source: salesforce\n  max_batch_comments: lots"}, `commsmining.max_batch_comments (line 11): want a whole number, got "lots"`},
		{"words for a duration", [2]string{"overlap: 2m", "overlap: soon"}, `backfill.overlap (line 14): want a Go duration such as 15s or 2m, got "soon"`},
		{"a duration without its unit", [2]string{"overlap: 2m", "overlap: 300"}, `backfill.overlap (line 14): want a Go duration such as 15s or 2m, got "300"; add a unit, e.g. 300s`},
		{"words for true or false", [2]string{"  overlap: 2m", "  no_overlap: sometimes"}, `backfill.no_overlap (line 14): want true or false, got "sometimes"`},
		{"a list for a single value", [2]string{"  project: support", "  project: [support, sales]"}, "commsmining.project (line 9): want a single value, got a list"},
		{"a value for a list", [2]string{"  - object: EmailMessage", "  EmailMessage"}, `objects (line 15): want a list of entries (lines starting with - under it), got "EmailMessage"`},
		{"a value for an entry", [2]string{"  - object: EmailMessage", "  - EmailMessage"}, `objects[0] (line 16): want a section of keys (key: value lines under it), got "EmailMessage"`},
		{"a value for a section", [2]string{"backfill:\n  overlap: 2m", "backfill: 2m"}, `backfill (line 13): want a section of keys (key: value lines under it), got "2m"`},
		{"a section for a field name", [2]string{"object: EmailMessage", "object: Ticket__c\n    comment:\n      body: [Body__c, {field: Text__c}]"},
			"objects[0].comment.body[1] (line 18): want a single value, got a section of keys"},
		{"no CM token", [2]string{"  token: ${TEST_CM_TOKEN}", ""}, "commsmining.token: required; create an API token in CM (Manage Account) and set it"},
		{"no store", [2]string{"  redis_url: redis://127.0.0.1:6379/0", ""}, "store.redis_url, redis_addrs, file_path: none set; set redis_url (e.g. rediss://host:6379) or file_path for the embedded store"},
		{"plaintext Redis across the network", [2]string{"127.0.0.1:6379", "redis.internal:6379"}, `store.redis_url (line 12): plaintext redis:// to "redis.internal"; use rediss:// or set allow_plaintext_redis`},
		{"a page size Salesforce refuses", [2]string{"  overlap: 2m", "  page_size: 50"}, "backfill.page_size (line 14): 50 is outside 200–2000; use 0 for the default 2000"},
		{"a budget above the limit", [2]string{"  overlap: 2m", "  api_budget_percent: 150"}, "backfill.api_budget_percent (line 14): 150 is outside 1–100; use 0 for the default 50"},
		{"no objects", [2]string{"  - object: EmailMessage", ""}, "objects (line 15): none listed; list the objects to bring into CM, e.g. objects: [{object: EmailMessage}]"},
		{"a custom object without a body", [2]string{"object: EmailMessage", "object: Ticket__c"}, "objects[0] (Ticket__c).comment.body: required for Ticket__c, which has no built-in mapping; list its text fields, e.g. body: [Description__c]"},
		{"a delete policy that does not exist", [2]string{"object: EmailMessage", "object: EmailMessage\n    on_delete: purge"}, `objects[0] (EmailMessage).on_delete (line 17): "purge" is not a policy; use delete or keep`},
		{"no Salesforce session", [2]string{"  access_token: ${TEST_SF_TOKEN}", ""},
			"salesforce.access_token is empty: set it in the config file or SFCDC_ACCESS_TOKEN (or configure salesforce.auth and run `sfcdc auth login`)"},
		{"a bad run key", [2]string{"backfill:", "run:\n  lease_ttl: 2 minutes\nbackfill:"}, `run.lease_ttl (line 14): want a Go duration such as 15s or 2m, got "2 minutes"`},
		{"a negative run duration", [2]string{"backfill:", "run:\n  budget_retry: -1m\nbackfill:"}, "run.budget_retry (line 14): -1m0s is negative; use 0 for the default"},
		{"a bad monitoring key", [2]string{"backfill:", "monitoring:\n  listen: 9464\nbackfill:"},
			`monitoring.listen (line 14): "9464" is not host:port (e.g. 127.0.0.1:9464, or :9464 for every interface)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearConnectionEnv(t)
			t.Setenv("TEST_SF_TOKEN", "sf-token")
			t.Setenv("TEST_CM_TOKEN", "cm-token")
			path := writeFile(t, "sfcdc.yaml", strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1))
			_, err := loadConfig(path)
			if !errors.Is(err, integration.ErrInvalid) {
				t.Fatalf("loadConfig: %v, want an invalid configuration", err)
			}
			if want := "invalid configuration in " + path + ":\n  " + tc.want; err.Error() != want {
				t.Fatalf("error\n%s\nwant\n%s", err, want)
			}
		})
	}
}

// everyDefect is a file with a defect of each kind, on the lines the
// issue reported them: unknown keys, values of the wrong kind, a repeated
// key, an unset variable and values the sections' validation refuses.
const everyDefect = `# sfcdc configuration with every kind of mistake
salesforce:
  access_token: ${TEST_SF_TOKEN}
  instance_url: https://example.my.salesforce.com
  tenant_id: 00D5Y0000000001UAA
  watchdog: 300
store:
  redis_url: redis://127.0.0.1:6379/0
  poll_interval: 1m
backfill:
  page_size: 50
commsmining:
  base_url: ${SFCDC_CM_ULR}
  token: ${TEST_CM_TOKEN}
  projcet: support
  source: salesforce
  max_batch_comments: lots
objects:
  - object: EmailMessage
    on_delete: purge
  - object: Case
    comment:
      body: [Description, {field: Subject}]
  - Task
run:
  lease_ttl: 15 seconds
  detect_polling: sometimes
  start: latest
  start: earliest
monitoring:
  listn: off
`

// The YAML library reported the first kind of problem only (unknown keys
// before values of the wrong kind, those before the validation), so each
// fix revealed the next. All of them come at once, sorted by line.
func TestEveryDefectOfAFileIsReportedInOnePassSortedByLine(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", "cm-token")
	os.Unsetenv("SFCDC_CM_ULR")
	path := writeFile(t, "sfcdc.yaml", everyDefect)
	_, err := loadConfig(path)
	want := "invalid configuration in " + path + ":" + `
  salesforce.watchdog (line 6): want a Go duration such as 15s or 2m, got "300"; add a unit, e.g. 300s
  store.poll_interval (line 9): unknown key here; did you mean backfill.poll_interval?
  backfill.page_size (line 11): 50 is outside 200–2000; use 0 for the default 2000
  commsmining.base_url (line 13): required (it is ${SFCDC_CM_ULR}, which is not set); e.g. https://<tenant>.reinfer.io or https://cloud.uipath.com/<org>/<tenant>/reinfer_
  commsmining.projcet (line 15): unknown key; did you mean project?
  commsmining.max_batch_comments (line 17): want a whole number, got "lots"
  objects[0] (EmailMessage).on_delete (line 20): "purge" is not a policy; use delete or keep
  objects[1].comment.body[1] (line 23): want a single value, got a section of keys
  objects[2] (line 24): want a section of keys (key: value lines under it), got "Task"
  run.lease_ttl (line 26): want a Go duration such as 15s or 2m, got "15 seconds"
  run.detect_polling (line 27): want true or false, got "sometimes"
  run.start (line 29): given twice (first at line 28); keep one
  monitoring.listn (line 31): unknown key; did you mean listen?`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	if goType := regexp.MustCompile(`!!|\b(u?int(8|16|32|64)?|float(32|64)|bool|string|struct|map\[|time\.|uploader\.|mapper\.|replay\.|backfill\.Config)\b`).FindString(err.Error()); goType != "" {
		t.Errorf("the error names a Go or YAML type (%q)", goType)
	}
}

// A ${VAR} naming an unset variable makes its key empty; the key's error
// says which variable, whether the whole value or a part of it.
func TestAnUnsetVariableIsNamedInTheErrorOfTheKeyItLeavesEmpty(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string
	}{
		{"the whole value", [2]string{"base_url: https://example.reinfer.io", "base_url: ${SFCDC_CM_ULR}"},
			"commsmining.base_url (line 7): required (it is ${SFCDC_CM_ULR}, which is not set); e.g. https://<tenant>.reinfer.io or https://cloud.uipath.com/<org>/<tenant>/reinfer_"},
		{"a part of the value", [2]string{"project: support", "project: ${TEST_TEAM}/${TEST_REGION}"},
			`commsmining.project (line 9): "/" is not a CM project name (${TEST_TEAM} and ${TEST_REGION} in it are not set); use 1-1024 of A-Z a-z 0-9 _ . -`},
		{"a secret", [2]string{"  token: ${TEST_CM_TOKEN}", "  token: ${TEST_CM_TOKN}"},
			"commsmining.token (line 8): required (it is ${TEST_CM_TOKN}, which is not set); create an API token in CM (Manage Account) and set it"},
		{"a number", [2]string{"  overlap: 2m", "  page_size: ${TEST_PAGE_SIZE}"},
			"backfill.page_size (line 14): want a whole number, got an empty value (it is ${TEST_PAGE_SIZE}, which is not set)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearConnectionEnv(t)
			t.Setenv("TEST_SF_TOKEN", "sf-token")
			t.Setenv("TEST_CM_TOKEN", "cm-token")
			for _, name := range []string{"SFCDC_CM_ULR", "TEST_TEAM", "TEST_REGION", "TEST_CM_TOKN", "TEST_PAGE_SIZE"} {
				os.Unsetenv(name)
			}
			path := writeFile(t, "sfcdc.yaml", strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1))
			_, err := loadConfig(path)
			if want := "invalid configuration in " + path + ":\n  " + tc.want; err == nil || err.Error() != want {
				t.Fatalf("error\n%v\nwant\n%s", err, want)
			}
		})
	}
}

// YAML anchors and merge keys are followed: the keys a merge brings in
// are checked like the section's own.
func TestKeysBroughtInByAMergeKeyAreCheckedLikeTheSectionsOwn(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", "cm-token")
	shared := "x-limits: &limits\n  overlap: 2m\n"
	merged := strings.Replace(validConfig, "  overlap: 2m", "  <<: *limits", 1)
	path := writeFile(t, "sfcdc.yaml", shared+merged)
	_, err := loadConfig(path)
	want := "invalid configuration in " + path + ":\n  x-limits (line 1): unknown key; the sections are name, salesforce, commsmining, backfill, objects, run, store, monitoring"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	bad := strings.Replace(shared, "overlap: 2m", "overlap: soon", 1)
	path = writeFile(t, "sfcdc.yaml", bad+merged)
	if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), `backfill.overlap (line 2): want a Go duration such as 15s or 2m, got "soon"`) {
		t.Fatalf("error %v: want the merged overlap refused at its line", err)
	}
}

// A plain ${VAR} is read as if its value had been written in the file, so
// a number or a duration may come from the environment too (the value was
// kept as text, which a number key refused).
func TestAVariableMayHoldANumberOrADuration(t *testing.T) {
	clearConnectionEnv(t)
	t.Setenv("TEST_SF_TOKEN", "sf-token")
	t.Setenv("TEST_CM_TOKEN", "cm-token")
	t.Setenv("TEST_PAGE_SIZE", "500")
	t.Setenv("TEST_OVERLAP", "90s")
	content := strings.Replace(validConfig, "  overlap: 2m", "  overlap: ${TEST_OVERLAP}\n  page_size: ${TEST_PAGE_SIZE}", 1)
	cfg, err := loadConfig(writeFile(t, "sfcdc.yaml", content))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Backfill.PageSize != 500 || cfg.Backfill.Overlap != 90*time.Second {
		t.Fatalf("page size %d, overlap %s: want 500 and 90s from the environment", cfg.Backfill.PageSize, cfg.Backfill.Overlap)
	}
}

// $VAR without braces is not a reference (a "$" in a password stays as
// written); the examples once said it was.
func TestTheExamplesPromiseOnlyBracedVariables(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	bare := regexp.MustCompile(`\$[A-Za-z_]`)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if m := bare.FindString(line); m != "" {
				t.Errorf("%s:%d: %q writes a variable as %s…, which is not expanded; write ${VAR}", file, i+1, line, m)
			}
		}
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
		"a secret under a duration key":    strings.Replace(validConfig, "  overlap: 2m", "  overlap: ${TEST_SECRET}", 1),
		"a secret under a misspelt key":    strings.Replace(validConfig, "  token: ${TEST_CM_TOKEN}", "  tokn: "+canary, 1),
		"a secret written as a list":       strings.Replace(validConfig, "  token: ${TEST_CM_TOKEN}", "  token: ["+canary+"]", 1),
		"a secret written twice":           strings.Replace(validConfig, "  token: ${TEST_CM_TOKEN}", "  token: "+canary+"\n  token: "+canary, 1),
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
	for name, size := range map[string]int{"2 MiB": 2 << 20, "one byte over": integration.MaxFileBytes + 1} {
		t.Run(name, func(t *testing.T) {
			content := validConfig + "# " + strings.Repeat("x", size-len(validConfig)-3) + "\n"
			path := writeFile(t, "big.yaml", content)
			_, err := loadConfig(path)
			if !errors.Is(err, integration.ErrInvalid) {
				t.Fatalf("loadConfig: %v, want an invalid configuration", err)
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
	content := validConfig + "# " + strings.Repeat("x", integration.MaxFileBytes-len(validConfig)-3) + "\n"
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
