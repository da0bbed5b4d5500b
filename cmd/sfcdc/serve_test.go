package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/sealed"
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

func TestServeListenFlagOverridesTheFileAndABadOneIsExit2(t *testing.T) {
	t.Parallel()
	key, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good := writeFile(t, "serve.yaml", fmt.Sprintf("store:\n  redis_url: redis://%s/0\nlisten: 127.0.0.1:0\n", testRedisAddr()))
	r := runInProcess(t, []string{"SFCDC_SECRET_KEY=" + key}, "serve", "--config", good, "--listen", "9464")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--listen") || !strings.Contains(r.stderr, `"9464" is not host:port`) {
		t.Fatalf("exit %d, want 2 naming --listen and the bad address:\n%s", r.code, r.output())
	}
}
