package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestServeRefusesABadConfigurationAndAMissingKeyWithExit2(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, "serve.yaml", "store:\n  redis_url: redis://127.0.0.1:6379\nlease_tll: 10s\n")
	r := runInProcess(t, []string{}, "serve", "--config", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, "lease_tll (line 3): unknown key; did you mean lease_ttl?") {
		t.Fatalf("exit %d, want 2 naming lease_tll:\n%s", r.code, r.output())
	}
	good := writeFile(t, "serve.yaml", fmt.Sprintf("store:\n  redis_url: redis://%s/0\n", testRedisAddr()))
	r = runInProcess(t, []string{}, "serve", "--config", good)
	if r.code != exitUsage {
		t.Fatalf("no key: exit %d, want 2:\n%s", r.code, r.output())
	}
	for _, want := range []string{"SFCDC_SECRET_KEY", "secret_key_file", "sfcdc integrations generate-key"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no key: the error lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestServeWithJSONLogsEndsWithAJSONErrorLine(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "serve.yaml", fmt.Sprintf("store:\n  redis_url: redis://%s/0\n", testRedisAddr()))
	r := runInProcess(t, []string{}, "serve", "--config", good, "--log-format", "json")
	var line map[string]any
	if r.code != exitUsage || json.Unmarshal([]byte(strings.TrimSpace(r.stderr)), &line) != nil || !strings.Contains(fmt.Sprint(line["err"]), "SFCDC_SECRET_KEY") {
		t.Fatalf("exit %d, want 2 with one JSON line naming SFCDC_SECRET_KEY:\n%s", r.code, r.stderr)
	}
}
