package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

func TestSubscribePrintsExactlyTheRequestedEventsOfTheSimulator(t *testing.T) {
	const n = 60
	banner := startSimProcess(t, "--events", "60", "--rate", "0", "--seed", "3")
	for _, key := range []string{"pubsub_addr", "ca_file", "access_token", "instance_url", "tenant_id", "topics"} {
		if !bannerHas(t, banner, key) {
			t.Fatalf("the sim banner lacks %q", key)
		}
	}
	cmd := exec.Command(sfcdcBinary, "subscribe", "--topic", "/data/ChangeEvents", "--from", "earliest", "--limit", "60")
	cmd.Env = simEnv(banner)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("subscribe failed: %v\n%s", err, stderr.String())
	}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines++
		var ev struct {
			Topic    string         `json:"topic"`
			ReplayID string         `json:"replay_id"`
			SchemaID string         `json:"schema_id"`
			Header   map[string]any `json:"header"`
			Fields   map[string]any `json:"fields"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
		if ev.Topic != "/data/ChangeEvents" || len(ev.ReplayID) != 16 || ev.SchemaID == "" || ev.Header["entityName"] == "" {
			t.Fatalf("line %d: %s", lines, sc.Text())
		}
		for _, list := range []string{"changedFields", "nulledFields", "diffFields"} {
			names, ok := ev.Header[list].([]any)
			if !ok {
				t.Fatalf("line %d: header.%s missing", lines, list)
			}
			for _, name := range names {
				top, _, _ := strings.Cut(name.(string), ".")
				if _, ok := ev.Fields[top]; !ok {
					t.Fatalf("line %d: %s names %q, not a field of %v", lines, list, name, ev.Header["entityName"])
				}
			}
		}
	}
	if lines != n {
		t.Fatalf("printed %d events, want exactly %d", lines, n)
	}
}

func bannerHas(t *testing.T, b simBanner, key string) bool {
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	v, ok := m[key]
	return ok && v != "" && v != nil
}

func TestSubscribeExplainsMissingSettings(t *testing.T) {
	cmd := exec.Command(sfcdcBinary, "subscribe", "--topic", "/data/CaseChangeEvent")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/tmp"}
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitUsage {
		t.Fatalf("exit %v, want %d", err, exitUsage)
	}
	for _, want := range []string{"SFCDC_ACCESS_TOKEN", "SFCDC_INSTANCE_URL", "SFCDC_TENANT_ID"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not say how to set %s:\n%s", want, out)
		}
	}
}

func TestSubscribeRejectsABadStart(t *testing.T) {
	cmd := exec.Command(sfcdcBinary, "subscribe", "--topic", "/data/CaseChangeEvent", "--from", "yesterday")
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitUsage || !strings.Contains(string(out), "latest, earliest or a replay ID in hex") {
		t.Fatalf("exit %v: %s", err, out)
	}
}
