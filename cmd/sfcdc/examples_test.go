package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// exampleEnv stands in for a deployment's environment: every ${VAR} an
// example may reference, with a value of the right shape. An example that
// references anything else fails, so the README's list of variables stays
// complete.
var exampleEnv = map[string]string{
	"SFCDC_ACCESS_TOKEN":   "00D000000000001!example-session",
	"SFCDC_INSTANCE_URL":   "https://example.my.salesforce.com",
	"SFCDC_TENANT_ID":      "00D000000000001AAA",
	"SFCDC_CA_FILE":        "",
	"SFCDC_PUBSUB_ADDR":    "127.0.0.1:7443",
	"SFCDC_CM_URL":         "http://127.0.0.1:8080",
	"SFCDC_CM_TOKEN":       "example-cm-token",
	"SFCDC_CM_PROJECT":     "support",
	"SFCDC_CM_SOURCE":      "salesforce",
	"SFCDC_CLIENT_ID":      "3MVG9exampleConsumerKey",
	"SFCDC_CLIENT_SECRET":  "example-consumer-secret",
	"SFCDC_REDIS_PASSWORD": "example-redis-password",
	"SFCDC_SIM_STATE_FILE": "/tmp/sfcdc-sim-123/state.db",
}

// theExamples are the configurations the README points to.
var theExamples = []string{"sim.yaml", "sfcdc.yaml", "emails-and-cases.yaml", "custom-object.yaml", "production-jwt.yaml"}

var envReference = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// exampleFiles lists examples/*.yaml and checks the documented ones are there.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, want := range theExamples {
		if !slices.Contains(names, want) {
			t.Errorf("examples/%s is missing", want)
		}
	}
	return files
}

// exampleEnvironment replaces the caller's SFCDC_* variables with
// exampleEnv's values for the variables the file references.
func exampleEnvironment(t *testing.T, raw string) {
	t.Helper()
	isolateEnv(t)
	var content strings.Builder // the file without its comments, which may mention ${VAR} as prose
	for _, line := range strings.Split(raw, "\n") {
		if i := strings.Index(line, "#"); i == 0 || i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
		}
		content.WriteString(line + "\n")
	}
	for _, m := range envReference.FindAllStringSubmatch(content.String(), -1) {
		v, ok := exampleEnv[m[1]]
		if !ok {
			t.Fatalf("references $%s, which is not a documented variable (add it to exampleEnv and the README)", m[1])
		}
		t.Setenv(m[1], v)
	}
}

// validateOffline is what `sfcdc validate` checks before it asks the org.
func validateOffline(path string) (fileConfig, error) {
	conf, _, err := checkFileOffline(withEnv(context.Background(), os.LookupEnv), path)
	return conf, err
}

func TestEveryExampleConfigurationLoadsAndValidates(t *testing.T) {
	for _, file := range exampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			exampleEnvironment(t, string(raw))
			if _, err := validateOffline(file); err != nil {
				t.Fatalf("sfcdc validate would refuse it:\n%v", err)
			}
		})
	}
}

// TestTheExamplesSayWhatTheirNamesPromise checks the parts of each example
// the README describes, so a file cannot drift into another setup.
func TestTheExamplesSayWhatTheirNamesPromise(t *testing.T) {
	load := func(t *testing.T, name string) fileConfig {
		t.Helper()
		path := filepath.Join("..", "..", "examples", name)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		exampleEnvironment(t, string(raw))
		conf, err := validateOffline(path)
		if err != nil {
			t.Fatal(err)
		}
		return conf
	}
	objects := func(c fileConfig) []string {
		var out []string
		for _, om := range c.Objects {
			out = append(out, om.Object)
		}
		return out
	}
	t.Run("emails and cases", func(t *testing.T) {
		c := load(t, "emails-and-cases.yaml")
		if got := objects(c); !slices.Contains(got, "EmailMessage") || !slices.Contains(got, "Case") {
			t.Errorf("objects %v; want EmailMessage and Case", got)
		}
		if c.Salesforce.Auth.Flow != "web_server" || c.Salesforce.Auth.CallbackPort != 1717 {
			t.Errorf("auth %+v; want the web_server flow on callback port 1717", c.Salesforce.Auth)
		}
	})
	t.Run("custom object", func(t *testing.T) {
		c := load(t, "custom-object.yaml")
		var custom []mapper.ObjectMapping
		for _, om := range c.Objects {
			if strings.HasSuffix(om.Object, "__c") {
				custom = append(custom, om)
			}
		}
		if len(custom) == 0 {
			t.Fatalf("objects %v; want a custom object (…__c)", objects(c))
		}
		for _, om := range custom {
			for _, f := range om.Comment.Body {
				if !strings.HasSuffix(f, "__c") {
					t.Errorf("%s body field %s; want its custom fields (…__c)", om.Object, f)
				}
			}
			if mapper.DefaultTopic(om.Object) != "/data/"+strings.TrimSuffix(om.Object, "__c")+"__ChangeEvent" {
				t.Errorf("%s: the default topic is %s", om.Object, mapper.DefaultTopic(om.Object))
			}
		}
	})
	t.Run("production with JWT bearer", func(t *testing.T) {
		c := load(t, "production-jwt.yaml")
		if c.Salesforce.Auth.Flow != "jwt_bearer" || c.Salesforce.Auth.PrivateKeyFile == "" || c.Salesforce.Auth.ClientSecret != "" {
			t.Errorf("auth %+v; want jwt_bearer with a key file and no client secret", c.Salesforce.Auth)
		}
		if c.Store.RedisMasterName == "" || len(c.Store.RedisAddrs) < 2 || !c.Store.RedisTLS {
			t.Errorf("store %v; want Redis Sentinel over TLS (several instances share topics through leases)", c.Store)
		}
		if c.Run.LeaseTTL <= 0 || c.Run.ShutdownGrace <= 0 {
			t.Errorf("run %+v; want lease_ttl and shutdown_grace spelled out", c.Run)
		}
	})
	t.Run("the simulator", func(t *testing.T) {
		c := load(t, "sim.yaml")
		if c.Salesforce.Auth.Flow != "" || c.Salesforce.AccessToken != exampleEnv["SFCDC_ACCESS_TOKEN"] || c.Store.FilePath == "" {
			t.Errorf("want a fixed session from the environment and the file store; got salesforce %+v store %v", c.Salesforce, c.Store)
		}
	})
}

// yamlKeys returns the key nodes of every mapping under n, except the
// free-form names under properties.
func yamlKeys(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, yamlKeys(c)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, n.Content[i])
			if n.Content[i].Value != "properties" {
				out = append(out, yamlKeys(n.Content[i+1])...)
			}
		}
	}
	return out
}

// TestEveryExampleKeyIsRealAndAMisspellingIsRefused renames each key of
// each example in turn: the loader must refuse every renamed file naming
// the key, at every depth. So every key in the examples is one the code
// reads (a typo in an example would be caught), and the loader rejects
// unknown keys everywhere.
func TestEveryExampleKeyIsRealAndAMisspellingIsRefused(t *testing.T) {
	for _, file := range exampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			exampleEnvironment(t, string(raw))
			var doc yaml.Node
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			keys := yamlKeys(&doc)
			if len(keys) < 5 {
				t.Fatalf("found only %d keys", len(keys))
			}
			for _, k := range keys {
				orig := k.Value
				k.Value = orig + "_typo"
				out, err := yaml.Marshal(&doc)
				k.Value = orig
				if err != nil {
					t.Fatal(err)
				}
				path := writeFile(t, filepath.Base(file), string(out))
				_, err = validateOffline(path)
				if err == nil || !strings.Contains(err.Error(), orig+"_typo (line ") || !strings.Contains(err.Error(), "unknown key") {
					t.Errorf("with key %s (line %d) misspelt: %v; want the loader to refuse the unknown key", orig, k.Line, err)
				}
			}
		})
	}
}

// TestValidateRefusesBadRunAndMonitoringSectionsWithoutTheOrg: sections
// only `sfcdc run` reads are checked by `sfcdc validate` too, offline, so
// a file validate calls valid is one run accepts.
func TestValidateRefusesBadRunAndMonitoringSectionsWithoutTheOrg(t *testing.T) {
	isolateEnv(t)
	for _, tc := range []struct{ section, want string }{
		{"run:\n  start: sometimes", `run.start (line 18): "sometimes" is not backfill, earliest or latest`},
		{"monitoring:\n  listen: nonsense", `monitoring.listen (line 18): "nonsense" is not host:port`},
	} {
		path := writeFile(t, "sfcdc.yaml", validConfig+tc.section+"\n")
		env := append(os.Environ(), "TEST_SF_TOKEN=00D000000000001!x", "TEST_CM_TOKEN=cm-token")
		r := runInProcess(t, env, "validate", "--config", path)
		wantExit(t, r, exitUsage, tc.want)
		if strings.Contains(r.output(), "valid (") {
			t.Errorf("validate called the file valid:\n%s", r.output())
		}
	}
}

// readme is the repository's README.
func readme(t *testing.T) string {
	t.Helper()
	return clitest.Readme(t)
}

// configKeys lists the dotted path of every key the configuration file
// accepts (objects[] for the list of objects), read from the yaml tags of
// fileConfig, so a key added to the code must be added to the README.
func configKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" && opts == "inline" && f.IsExported() {
			out = append(out, configKeys(f.Type, prefix)...) // the integration.Spec in the file
			continue
		}
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := prefix + tag
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]():
			out = append(out, configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, configKeys(ft.Elem(), key+"[].")...)
		default:
			out = append(out, key)
		}
	}
	return out
}

func TestTheReadmeDocumentsEveryConfigurationKey(t *testing.T) {
	t.Parallel()
	text := readme(t)
	keys := configKeys(reflect.TypeFor[fileConfig](), "")
	if len(keys) < 40 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.Contains(text, "`"+k+"`") {
			t.Errorf("README: the configuration reference lacks `%s`", k)
		}
	}
}

// codeOf returns the README's code: fenced blocks and inline code spans.
func codeOf(text string) []string {
	var code []string
	parts := strings.Split(text, "```")
	for i, p := range parts {
		if i%2 == 1 {
			code = append(code, p)
			continue
		}
		for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(p, -1) {
			code = append(code, m[1])
		}
	}
	return code
}

// commandTree maps "sfcdc x y" to its command, for every command.
func commandTree(root *cobra.Command) map[string]*cobra.Command {
	out := map[string]*cobra.Command{}
	var walk func(prefix string, c *cobra.Command)
	walk = func(prefix string, c *cobra.Command) {
		out[prefix] = c
		for _, sub := range c.Commands() {
			walk(prefix+" "+sub.Name(), sub)
		}
	}
	walk("sfcdc", root)
	return out
}

// TestTheReadmeNamesOnlyRealCommandsFlagsAndVariables reads every command
// line in the README's code against the real command tree, and every
// SFCDC_ variable against the code, in both directions.
func TestTheReadmeNamesOnlyRealCommandsFlagsAndVariables(t *testing.T) {
	t.Parallel()
	text := readme(t)
	tree := commandTree(newRootCommand())
	isFlag := func(name string) bool {
		// Flags of the other programs the README runs (docker, go, curl).
		if slices.Contains([]string{"help", "rm", "race", "count", "run", "build-arg", "read-only"}, name) {
			return true
		}
		for _, c := range tree {
			if c.Flag(name) != nil {
				return true
			}
		}
		return false
	}
	invocation := regexp.MustCompile(`(?:^|[\s/])sfcdc((?: [a-z][a-z-]*)+)`)
	flagUse := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
	mentioned := map[string]bool{}
	for _, code := range codeOf(text) {
		for _, m := range invocation.FindAllStringSubmatch(code, -1) {
			path := "sfcdc"
			for _, w := range strings.Fields(m[1]) {
				c := tree[path]
				if len(c.Commands()) == 0 {
					break // an argument or a value, not a subcommand
				}
				if _, ok := tree[path+" "+w]; !ok {
					if path == "sfcdc" || !strings.Contains(w, "|") {
						t.Errorf("README: %q: %s has no subcommand %q", strings.TrimSpace(m[0]), path, w)
					}
					break
				}
				path += " " + w
			}
			mentioned[path] = true
		}
		for _, line := range strings.Split(code, "\n") {
			for _, m := range flagUse.FindAllStringSubmatch(line, -1) {
				if !isFlag(m[1]) {
					t.Errorf("README: --%s is not a flag of any sfcdc command (in %q)", m[1], strings.TrimSpace(line))
				}
			}
		}
	}
	for path, c := range tree {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || strings.Contains(path, " completion") || path == "sfcdc" {
			continue
		}
		if !mentioned[path] && !strings.Contains(text, path) {
			t.Errorf("README does not mention the command `%s`", path)
		}
	}

	variable := regexp.MustCompile(`SFCDC_[A-Z0-9_]*[A-Z0-9]`)
	inCode := map[string]bool{}
	for _, glob := range []string{"*.go", "../../scripts/*.sh", "../../scripts/*/*.go", "../../*/*.go", "../../*/*/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(string(raw), "//go:build ") && !strings.HasPrefix(string(raw), "//go:build !") {
				continue // only in binaries built with a tag (test failpoints)
			}
			for _, v := range variable.FindAllString(string(raw), -1) {
				inCode[v] = true
			}
		}
	}
	var missing []string
	for v := range inCode {
		if !strings.Contains(text, v) {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("README does not document the environment variables %v", missing)
	}
	for _, v := range variable.FindAllString(text, -1) {
		if !inCode[v] {
			t.Errorf("README names %s, which no code or script reads", v)
		}
	}

	// Metric names: each one the README names is a family the monitor
	// declares (desc("events_total", …) is sfcdc_events_total).
	var monitorSource strings.Builder
	files, _ := filepath.Glob(filepath.Join("..", "..", "monitor", "*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			monitorSource.Write(raw)
		}
	}
	metrics := regexp.MustCompile(`\bsfcdc_([a-z][a-z0-9_]*[a-z0-9])`).FindAllStringSubmatch(text, -1)
	if len(metrics) == 0 {
		t.Error("README names no metric")
	}
	for _, m := range metrics {
		if !strings.Contains(monitorSource.String(), `desc("`+m[1]+`"`) {
			t.Errorf("README names the metric %s, which the monitor package does not declare", m[0])
		}
	}

	for _, name := range theExamples {
		if !strings.Contains(text, "examples/"+name) {
			t.Errorf("README does not point to examples/%s", name)
		}
	}
	for _, m := range regexp.MustCompile(`examples/[a-z0-9-]+\.yaml`).FindAllString(text, -1) {
		if _, err := os.Stat(filepath.Join("..", "..", m)); err != nil {
			t.Errorf("README points to %s: %v", m, err)
		}
	}
}

// TestTheQuickStartAgainstTheSimulatorsWorksAsWritten follows the README's
// "run the daemon against the simulators": `sfcdc sim`, the exports of
// scripts/simenv, `sfcdc run --config examples/sim.yaml` (only its state
// file moved into the test's directory), then the endpoints and commands
// the README sends the reader to.
func TestTheQuickStartAgainstTheSimulatorsWorksAsWritten(t *testing.T) {
	b := startSim(t, "--rate", "20", "--seed-records", "100")
	banner, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	bannerFile := writeFile(t, "sim.json", string(banner)+"\n")
	simenv := exec.Command("go", "run", "./scripts/simenv", bannerFile)
	simenv.Dir = filepath.Join("..", "..")
	exports, err := simenv.Output()
	if err != nil {
		t.Fatalf("go run ./scripts/simenv: %v", err)
	}
	isolateEnv(t)
	env := os.Environ()
	for _, line := range strings.Split(strings.TrimSpace(string(exports)), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, _ := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "SFCDC_") {
			t.Fatalf("simenv printed %q; want export SFCDC_…='…' lines", line)
		}
		env = append(env, k+"="+strings.Trim(v, "'"))
	}

	// The file as it is: its state goes to the sim run's state_file.
	config := filepath.Join("..", "..", "examples", "sim.yaml")
	if !strings.Contains(string(exports), "SFCDC_SIM_STATE_FILE='"+b.StateFile+"'") || b.StateFile == "" {
		t.Fatalf("simenv does not export the sim run's state file %q:\n%s", b.StateFile, exports)
	}

	p := startInProcess(t, env, "run", "--config", config, "--listen", "127.0.0.1:0")

	monitoring := regexp.MustCompile(`monitoring=(127\.0\.0\.1:\d+)`)
	var addr string
	p.await(t, "the monitoring address in the log", func() bool {
		if m := monitoring.FindStringSubmatch(p.output()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	p.await(t, "the seeded records and streamed changes in CM, and /readyz ready", func() bool {
		code, _ := get("/readyz")
		return code == http.StatusOK && simStats(t, b).New > 100
	})
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "sfcdc_events_total{") {
		t.Fatalf("/metrics answered %d without sfcdc_events_total:\n%.2000s", code, body)
	}
	p.terminate(t)

	// The README: after stopping the daemon, status and replay show read the file store.
	status := runInProcess(t, env, "status", "--config", config)
	wantExit(t, status, 0, "/data/EmailMessageChangeEvent", "stopped")
	show := runInProcess(t, env, "replay", "show", "--config", config)
	wantExit(t, show, 0, "/data/CaseChangeEvent")
	dead := runInProcess(t, env, "deadletters", "list", "--config", config)
	wantExit(t, dead, 0)
}

// TestTheReadmeDocumentsEveryFlagOfEveryCommand is the other direction of
// the check above: a flag a command takes that the README never names
// next to that command is a knob an operator cannot find (auth login
// --timeout, demo --seed were). "Next to" is the same paragraph or table
// row as the command's name.
func TestTheReadmeDocumentsEveryFlagOfEveryCommand(t *testing.T) {
	t.Parallel()
	var blocks []string
	for para := range strings.SplitSeq(readme(t), "\n\n") {
		var rest []string
		for line := range strings.SplitSeq(para, "\n") {
			if strings.HasPrefix(line, "|") {
				blocks = append(blocks, line) // a table row stands alone
			} else {
				rest = append(rest, line)
			}
		}
		blocks = append(blocks, strings.Join(rest, "\n"))
	}
	for path, c := range commandTree(newRootCommand()) {
		name := regexp.MustCompile(`sfcdc` + regexp.QuoteMeta(strings.TrimPrefix(path, "sfcdc")) + `\b`)
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			flag := regexp.MustCompile(`--` + regexp.QuoteMeta(f.Name) + `\b`)
			if !slices.ContainsFunc(blocks, func(b string) bool { return name.MatchString(b) && flag.MatchString(b) }) {
				t.Errorf("README does not document --%s next to `%s`", f.Name, path)
			}
		})
	}
}
