package pubsub_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
)

// `sfcdc subscribe` prints NewEventLine as JSON: its keys are stable.
func TestAnEventLineUsesSalesforcesNamesAndEmptyListsNotNull(t *testing.T) {
	ev := &pubsub.Event{Topic: "/data/CaseChangeEvent", ReplayID: []byte{0x00, 0x2a}, SchemaID: "s1",
		Header: &pubsub.ChangeEventHeader{EntityName: "Case", RecordIDs: []string{"500000000000001"}, ChangeType: "UPDATE",
			ChangeOrigin: "com/salesforce/api/rest/62.0", TransactionKey: "tk", SequenceNumber: 1,
			CommitTimestamp: time.UnixMilli(1767225600123).UTC(), CommitNumber: 42, CommitUser: "005000000000001",
			ChangedFields: []string{"Status"}},
		Fields: map[string]any{"Status": "Closed"}}
	line, err := json.Marshal(pubsub.NewEventLine(ev))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"/data/CaseChangeEvent","replay_id":"002a","schema_id":"s1","header":{"entityName":"Case",` +
		`"recordIds":["500000000000001"],"changeType":"UPDATE","changeOrigin":"com/salesforce/api/rest/62.0","transactionKey":"tk",` +
		`"sequenceNumber":1,"commitTimestamp":1767225600123,"commitNumber":42,"commitUser":"005000000000001",` +
		`"nulledFields":[],"diffFields":[],"changedFields":["Status"]},"fields":{"Status":"Closed"}}`
	if string(line) != want {
		t.Fatalf("event line\n%s\nwant\n%s", line, want)
	}
	platform, _ := json.Marshal(pubsub.NewEventLine(&pubsub.Event{Topic: "/event/Alert__e", ReplayID: []byte{1}}))
	if string(platform) != `{"topic":"/event/Alert__e","replay_id":"01","schema_id":"","fields":null}` {
		t.Fatalf("platform event line %s", platform)
	}
}

func TestParseStartReadsPresetsAndHexReplayIDs(t *testing.T) {
	for _, c := range []struct {
		from string
		want pubsub.Start
	}{
		{"", pubsub.Start{Preset: pubsub.Latest}},
		{"LATEST", pubsub.Start{Preset: pubsub.Latest}},
		{"Earliest", pubsub.Start{Preset: pubsub.Earliest}},
		{"0x002a", pubsub.After([]byte{0x00, 0x2a})},
		{"ff", pubsub.After([]byte{0xff})},
	} {
		got, err := pubsub.ParseStart(c.from)
		if err != nil || got.Preset != c.want.Preset || string(got.ReplayID) != string(c.want.ReplayID) {
			t.Errorf("ParseStart(%q) = %+v, %v; want %+v", c.from, got, err, c.want)
		}
	}
	for _, bad := range []string{"0x", "yesterday", "abc"} {
		if _, err := pubsub.ParseStart(bad); err == nil {
			t.Errorf("ParseStart(%q) was accepted", bad)
		}
	}
}
