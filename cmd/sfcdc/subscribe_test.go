package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSubscribePrintsExactlyTheRequestedEventsOfTheSimulator(t *testing.T) {
	t.Parallel()
	const n = 60
	banner := startSim(t, "--events", "60", "--rate", "0", "--seed", "3")
	for _, key := range []string{"pubsub_addr", "ca_file", "access_token", "instance_url", "tenant_id", "topics"} {
		if !bannerHas(t, banner, key) {
			t.Fatalf("the sim banner lacks %q", key)
		}
	}
	lines := runSubscribe(t, banner, "--topic", "/data/ChangeEvents", "--from", "earliest", "--limit", "60")
	if len(lines) != n {
		t.Fatalf("printed %d events, want exactly %d", len(lines), n)
	}
	listed, dated := 0, 0
	for i, line := range lines {
		ev, err := checkSubscribeLine(line, "/data/ChangeEvents")
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		if len(ev.Header.ChangedFields) > 0 {
			listed++
		}
		if _, ok := ev.Fields["LastModifiedDate"].(string); ok {
			dated++
		}
	}
	// Seed 3 has Case updates among its first 60 events: without a
	// non-empty list the field-name check above would prove nothing.
	if listed == 0 || dated == 0 {
		t.Fatalf("%d events list changed fields and %d carry LastModifiedDate; want some of each", listed, dated)
	}
}

// subscribeLine is one printed event.
type subscribeLine struct {
	Topic    string `json:"topic"`
	ReplayID string `json:"replay_id"`
	SchemaID string `json:"schema_id"`
	Header   *struct {
		EntityName    string   `json:"entityName"`
		RecordIDs     []string `json:"recordIds"`
		ChangeType    string   `json:"changeType"`
		ChangedFields []string `json:"changedFields"`
		NulledFields  []string `json:"nulledFields"`
		DiffFields    []string `json:"diffFields"`
	} `json:"header"`
	Fields map[string]any `json:"fields"`
}

// checkSubscribeLine parses one printed event and says what is wrong with
// it: the keys, a hex replay ID, the header under Salesforce's names with
// its field lists naming fields of the event, and date-times in RFC 3339.
func checkSubscribeLine(line []byte, topic string) (subscribeLine, error) {
	var ev subscribeLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("not JSON: %w", err)
	}
	if ev.Topic != topic {
		return ev, fmt.Errorf("topic %q, want %q", ev.Topic, topic)
	}
	if id, err := hex.DecodeString(ev.ReplayID); err != nil || len(id) != 8 {
		return ev, fmt.Errorf("replay_id %q is not 8 bytes of hex", ev.ReplayID)
	}
	if ev.SchemaID == "" {
		return ev, errors.New("no schema_id")
	}
	if ev.Header == nil || ev.Header.EntityName == "" || len(ev.Header.RecordIDs) == 0 || ev.Header.ChangeType == "" {
		return ev, errors.New("the header lacks entityName, recordIds or changeType")
	}
	for list, names := range map[string][]string{"changedFields": ev.Header.ChangedFields, "nulledFields": ev.Header.NulledFields, "diffFields": ev.Header.DiffFields} {
		if names == nil {
			return ev, fmt.Errorf("header.%s missing", list)
		}
		for _, name := range names {
			top, _, _ := strings.Cut(name, ".")
			if _, ok := ev.Fields[top]; !ok {
				return ev, fmt.Errorf("%s names %q, not a field of %s", list, name, ev.Header.EntityName)
			}
		}
	}
	for _, name := range []string{"CreatedDate", "LastModifiedDate", "SystemModstamp"} {
		v, present := ev.Fields[name]
		if !present || v == nil {
			continue
		}
		text, ok := v.(string)
		if !ok {
			return ev, fmt.Errorf("fields.%s is %v, not an RFC 3339 string", name, v)
		}
		if _, err := time.Parse(time.RFC3339Nano, text); err != nil {
			return ev, fmt.Errorf("fields.%s %q is not RFC 3339: %w", name, text, err)
		}
	}
	return ev, nil
}

// The checks above must be able to fail: each broken line is rejected.
func TestCheckSubscribeLineRejectsWhatSubscribeMustNotPrint(t *testing.T) {
	t.Parallel()
	good := `{"topic":"/data/ChangeEvents","replay_id":"0000000000258368","schema_id":"s1",` +
		`"header":{"entityName":"Case","recordIds":["500000000000001AAA"],"changeType":"UPDATE",` +
		`"changedFields":["Status","LastModifiedDate"],"nulledFields":[],"diffFields":[]},` +
		`"fields":{"Status":"Closed","LastModifiedDate":"2026-11-01T10:00:00.123Z"}}`
	if _, err := checkSubscribeLine([]byte(good), "/data/ChangeEvents"); err != nil {
		t.Fatalf("a good line was rejected: %v", err)
	}
	for name, bad := range map[string]string{
		"no entityName":            strings.Replace(good, `"entityName":"Case",`, "", 1),
		"an empty entityName":      strings.Replace(good, `"entityName":"Case"`, `"entityName":""`, 1),
		"a list naming no field":   strings.Replace(good, `["Status","LastModifiedDate"]`, `["Status","Priority"]`, 1),
		"a missing list":           strings.Replace(good, `"nulledFields":[],`, "", 1),
		"an epoch date-time":       strings.Replace(good, `"2026-11-01T10:00:00.123Z"`, "1793527200123", 1),
		"a date-time not RFC 3339": strings.Replace(good, `"2026-11-01T10:00:00.123Z"`, `"2026-11-01 10:00:00"`, 1),
		"a decimal replay ID":      strings.Replace(good, `"0000000000258368"`, `"2458760"`, 1),
	} {
		if bad == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := checkSubscribeLine([]byte(bad), "/data/ChangeEvents"); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
}

// --from with a replay ID printed by an earlier run resumes right after that
// event: the second run prints exactly the lines that followed it.
func TestSubscribeFromAHexReplayIDResumesAfterIt(t *testing.T) {
	t.Parallel()
	const n, after = 40, 15
	banner := startSim(t, "--events", fmt.Sprint(n), "--rate", "0", "--seed", "5")
	all := runSubscribe(t, banner, "--topic", "/data/ChangeEvents", "--from", "earliest", "--limit", fmt.Sprint(n))
	if len(all) != n {
		t.Fatalf("printed %d events, want %d", len(all), n)
	}
	var mark subscribeLine
	if err := json.Unmarshal(all[after-1], &mark); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{mark.ReplayID, "0x" + strings.ToUpper(mark.ReplayID)} {
		rest := runSubscribe(t, banner, "--topic", "/data/ChangeEvents", "--from", from, "--limit", fmt.Sprint(n-after))
		if !slices.EqualFunc(rest, all[after:], bytes.Equal) {
			t.Fatalf("--from %s printed %d lines, not the %d that followed event %d:\nfirst: %s\nwant:  %s",
				from, len(rest), n-after, after, firstLine(rest), all[after])
		}
	}
}

func firstLine(lines [][]byte) []byte {
	if len(lines) == 0 {
		return nil
	}
	return lines[0]
}

// runSubscribe runs `sfcdc subscribe` against the simulator and returns its
// output lines; it must exit 0 within two minutes.
func runSubscribe(t *testing.T, banner simBanner, args ...string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	code := execute(ctx, envOf(simEnv(banner)), append([]string{"subscribe"}, args...), &stdout, &stderr)
	if ctx.Err() != nil || code != 0 {
		t.Fatalf("subscribe %v failed: exit %d (%v)\n%s", args, code, ctx.Err(), stderr.String())
	}
	var lines [][]byte
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	return lines
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
	t.Parallel()
	out, code := runCombined(t.Context(), []string{"PATH=/usr/bin:/bin", "HOME=/tmp"}, "subscribe", "--topic", "/data/CaseChangeEvent")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"SFCDC_ACCESS_TOKEN", "SFCDC_INSTANCE_URL", "SFCDC_TENANT_ID"} {
		if !strings.Contains(out, want) {
			t.Errorf("the error does not say how to set %s:\n%s", want, out)
		}
	}
}

func TestSubscribeRejectsABadStart(t *testing.T) {
	t.Parallel()
	out, code := runCombined(t.Context(), nil, "subscribe", "--topic", "/data/CaseChangeEvent", "--from", "yesterday")
	if code != exitUsage || !strings.Contains(out, "latest, earliest or a replay ID in hex") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
