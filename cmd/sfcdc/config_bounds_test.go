package main

import (
	"errors"
	"strings"
	"testing"
)

// A value of almost the file's limit reaches validation; the error names
// the key but quotes only a short prefix of the value.
func TestAHugeValueIsQuotedCutInTheError(t *testing.T) {
	huge := strings.Repeat("x", 900<<10)
	for _, tc := range []struct {
		name    string
		replace [2]string // old, new in validConfig
		want    string
	}{
		{"commsmining.project", [2]string{"project: support", "project: " + huge + "!"}, `commsmining.project: "xxxx`},
		{"commsmining.source", [2]string{"source: salesforce", "source: " + huge}, `commsmining.source: "xxxx`},
		{"an object", [2]string{"object: EmailMessage", "object: " + huge}, `objects[0] ("xxxx`},
		{"a topic", [2]string{"object: EmailMessage", "object: EmailMessage\n    topic: /x/" + huge}, `objects[0] (EmailMessage).topic: "/x/xxx`},
		{"a field name", [2]string{"object: EmailMessage", "object: EmailMessage\n    fields: [" + huge + "]"}, `objects[0] (EmailMessage).fields[0]: "xxxx`},
		{"salesforce.instance_url", [2]string{"instance_url: https://example.my.salesforce.com", "instance_url: " + huge}, `salesforce.instance_url "xxxx`},
		{"store.redis_addrs", [2]string{"  redis_url: redis://127.0.0.1:6379/0", "  redis_addrs: [" + huge + "]"}, `store.redis_addrs[0]: "xxxx`},
		{"run.start", [2]string{"backfill:", "run:\n  start: " + huge + "\nbackfill:"}, `start: "xxxx`},
		{"monitoring.listen", [2]string{"backfill:", "monitoring:\n  listen: " + huge + "\nbackfill:"}, `listen: "xxxx`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearConnectionEnv(t)
			t.Setenv("TEST_SF_TOKEN", "sf-token")
			t.Setenv("TEST_CM_TOKEN", "cm-token")
			content := strings.Replace(validConfig, tc.replace[0], tc.replace[1], 1)
			_, _, err := checkFileOffline(writeFile(t, "sfcdc.yaml", content))
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
