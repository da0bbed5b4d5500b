package main

import (
	"errors"
	"strings"
	"testing"
)

// tokensOnlyEnv is the environment of these tests: validConfig's two
// tokens, no connection override.
var tokensOnlyEnv = envOf([]string{"TEST_SF_TOKEN=sf-token", "TEST_CM_TOKEN=cm-token"})

// A value of almost the file's limit reaches validation; the error names
// the key but quotes only a short prefix of the value. The first key's
// value is 900 KB (under the 1 MB file bound); the others' are 64 KB, as
// far beyond the quote's cut and a fourteenth of the YAML parsing (the 900
// KB ones cost the package 3.4 CPU-s under -race).
func TestAHugeValueIsQuotedCutInTheError(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 64<<10)
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string
	}{
		{"commsmining.project", [2]string{"project: support", "project: " + strings.Repeat("x", 900<<10) + "!"}, `commsmining.project (line 9): "xxxx`},
		{"commsmining.source", [2]string{"source: salesforce", "source: " + huge}, `commsmining.source (line 10): "xxxx`},
		{"an object", [2]string{"object: EmailMessage", "object: " + huge}, `objects[0] ("xxxx`},
		{"a topic", [2]string{"object: EmailMessage", "object: EmailMessage\n    topic: /x/" + huge}, `objects[0] (EmailMessage).topic (line 17): "/x/xxx`},
		{"a field name", [2]string{"object: EmailMessage", "object: EmailMessage\n    fields: [" + huge + "]"}, `objects[0] (EmailMessage).fields[0] (line 17): "xxxx`},
		{"salesforce.instance_url", [2]string{"instance_url: https://example.my.salesforce.com", "instance_url: " + huge}, `salesforce.instance_url (line 4) "xxxx`},
		{"store.redis_addrs", [2]string{"  redis_url: redis://127.0.0.1:6379/0", "  redis_addrs: [" + huge + "]"}, `store.redis_addrs[0] (line 12): "xxxx`},
		{"run.start", [2]string{"backfill:", "run:\n  start: " + huge + "\nbackfill:"}, `run.start (line 14): "xxxx`},
		{"monitoring.listen", [2]string{"backfill:", "monitoring:\n  listen: " + huge + "\nbackfill:"}, `monitoring.listen (line 14): "xxxx`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content := strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1)
			_, _, err := checkFileOffline(withEnv(t.Context(), tokensOnlyEnv), writeFile(t, "sfcdc.yaml", content))
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("checkFileOffline: %.300v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), " bytes)") {
				t.Errorf("error %.1000q\nlacks %q and the value's length", err, tc.want)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the error has %d bytes: %.300q", len(err.Error()), err)
			}
		})
	}
}

// Values that become store keys follow the store's own rule (replay's
// CheckName and CheckOrgID) when the file is read, so `validate` refuses
// what the store would refuse only at the first lease.
func TestValuesTheStoreWouldRefuseAreConfigurationErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string
	}{
		{"a 2,000-byte holder", [2]string{"backfill:", "run:\n  holder: " + strings.Repeat("h", 2000) + "\nbackfill:"},
			"run.holder (line 14): want 1 to 1024 bytes, got 2000; name this process"},
		{"a holder with a control character", [2]string{"backfill:", "run:\n  holder: \"worker\\u001b[2J\"\nbackfill:"},
			`run.holder (line 14): "worker\x1b[2J" holds the control character U+001B; name this process`},
		{"a topic longer than the store allows", [2]string{"object: EmailMessage", "object: EmailMessage\n    topic: /data/" + strings.Repeat("T", 2000)},
			"objects[0].topic (line 17): want 1 to 1024 bytes, got 2006; the topic names its stored lease"},
		{"a polling object with a control character", [2]string{"backfill:", "run:\n  polling_objects: [\"Task\\t\"]\nbackfill:"},
			`run.polling_objects[0] (line 14): "Task\t" holds the control character U+0009`},
		{"an org ID that would split the hash tag", [2]string{"tenant_id: 00D5Y0000000001UAA", "tenant_id: 00D5Y0000{00001"},
			"salesforce.tenant_id (line 5): \"00D5Y0000{00001\" holds '{'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content := strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1)
			_, _, err := checkFileOffline(withEnv(t.Context(), tokensOnlyEnv), writeFile(t, "sfcdc.yaml", content))
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("checkFileOffline: %.300v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %.1000q\nlacks %q", err, tc.want)
			}
		})
	}
}

// The command's exit code: a holder the store would refuse is exit 2, as
// every configuration error, not exit 1 after the run started.
func TestValidateRefusesABadHolderWithExit2(t *testing.T) {
	t.Parallel()
	content := strings.Replace(validConfig, "backfill:", "run:\n  holder: "+strings.Repeat("h", 2000)+"\nbackfill:", 1)
	r := runInProcess(t, []string{"TEST_SF_TOKEN=sf-token", "TEST_CM_TOKEN=cm-token"}, "validate", "--config", writeFile(t, "sfcdc.yaml", content))
	if r.code != 2 {
		t.Fatalf("exit code %d, want 2:\n%.2000s", r.code, r.output())
	}
	if !strings.Contains(r.stderr, "run.holder (line 14): want 1 to 1024 bytes, got 2000") || len(r.output()) > 1000 {
		t.Errorf("want a short error naming the holder's limit:\n%.2000s", r.output())
	}
}

// A password or token written into a URL of the configuration (user
// info, a query) never shows in the error that refuses the URL.
func TestAURLRefusedByTheConfigurationNeverShowsItsCredentials(t *testing.T) {
	t.Parallel()
	const canary = "canary-url-s3cret"
	for _, tc := range []struct{ from, to string }{
		{"instance_url: https://example.my.salesforce.com", "instance_url: https://bob:" + canary + "@example.my.salesforce.com"},
		{"instance_url: https://example.my.salesforce.com", "instance_url: https://example.my.salesforce.com?sid=" + canary},
		{"instance_url: https://example.my.salesforce.com", "instance_url: http://bob:" + canary + "@example.com"},
		{"base_url: https://example.reinfer.io", "base_url: https://bob:" + canary + "@example.reinfer.io"},
		{"base_url: https://example.reinfer.io", "base_url: https://bob:%zz" + canary + "@example.reinfer.io"},
	} {
		path := writeFile(t, "sfcdc.yaml", strings.Replace(validConfig, tc.from, tc.to, 1))
		_, err := loadConfig(withEnv(t.Context(), tokensOnlyEnv), path)
		if err == nil {
			t.Errorf("%s: accepted", tc.to)
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("%s: the error shows the credential:\n%v", tc.to, err)
		}
	}
}
