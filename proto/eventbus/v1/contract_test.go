package eventbusv1

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The real API's contract (reference/salesforce.md §1), written as
// "number name type" per field, "[]" for repeated. The test fails on any
// missing, extra, renumbered or retyped element.
var wantMessages = map[string][]string{
	"TopicInfo":            {"1 topic_name string", "2 tenant_guid string", "3 can_publish bool", "4 can_subscribe bool", "5 schema_id string", "6 rpc_id string"},
	"TopicRequest":         {"1 topic_name string"},
	"EventHeader":          {"1 key string", "2 value bytes"},
	"ProducerEvent":        {"1 id string", "2 schema_id string", "3 payload bytes", "4 headers []EventHeader"},
	"ConsumerEvent":        {"1 event ProducerEvent", "2 replay_id bytes"},
	"PublishResult":        {"1 replay_id bytes", "2 error Error", "3 correlation_key string"},
	"Error":                {"1 code ErrorCode", "2 msg string"},
	"FetchRequest":         {"1 topic_name string", "2 replay_preset ReplayPreset", "3 replay_id bytes", "4 num_requested int32", "5 auth_refresh string"},
	"FetchResponse":        {"1 events []ConsumerEvent", "2 latest_replay_id bytes", "3 rpc_id string", "4 pending_num_requested int32"},
	"SchemaRequest":        {"1 schema_id string"},
	"SchemaInfo":           {"1 schema_json string", "2 schema_id string", "3 rpc_id string"},
	"PublishRequest":       {"1 topic_name string", "2 events []ProducerEvent", "3 auth_refresh string"},
	"PublishResponse":      {"1 results []PublishResult", "2 schema_id string", "3 rpc_id string"},
	"ManagedFetchRequest":  {"1 subscription_id string", "2 developer_name string", "3 num_requested int32", "4 auth_refresh string", "5 commit_replay_id_request CommitReplayRequest"},
	"ManagedFetchResponse": {"1 events []ConsumerEvent", "2 latest_replay_id bytes", "3 rpc_id string", "4 pending_num_requested int32", "5 commit_response CommitReplayResponse"},
	"CommitReplayRequest":  {"1 commit_request_id string", "2 replay_id bytes"},
	"CommitReplayResponse": {"1 commit_request_id string", "2 replay_id bytes", "3 error Error", "4 process_time int64"},
}

var wantEnums = map[string][]string{
	"ErrorCode":    {"0 UNKNOWN", "1 PUBLISH", "2 COMMIT"},
	"ReplayPreset": {"0 LATEST", "1 EARLIEST", "2 CUSTOM"},
}

// "name in out", with "stream " before a streamed side.
var wantRPCs = []string{
	"Subscribe stream FetchRequest stream FetchResponse",
	"GetSchema SchemaRequest SchemaInfo",
	"GetTopic TopicRequest TopicInfo",
	"Publish PublishRequest PublishResponse",
	"PublishStream stream PublishRequest stream PublishResponse",
	"ManagedSubscribe stream ManagedFetchRequest stream ManagedFetchResponse",
}

func describeField(f protoreflect.FieldDescriptor) string {
	typ := f.Kind().String()
	switch f.Kind() {
	case protoreflect.MessageKind:
		typ = string(f.Message().Name())
	case protoreflect.EnumKind:
		typ = string(f.Enum().Name())
	}
	if f.Cardinality() == protoreflect.Repeated {
		typ = "[]" + typ
	}
	return fmt.Sprintf("%d %s %s", f.Number(), f.Name(), typ)
}

func TestTheProtoDeclaresExactlyTheRealMessages(t *testing.T) {
	fd := File_pubsub_api_proto
	if fd.Package() != "eventbus.v1" || fd.Syntax() != protoreflect.Proto3 {
		t.Fatalf("package %s syntax %v, want eventbus.v1 proto3", fd.Package(), fd.Syntax())
	}
	got := map[string][]string{}
	msgs := fd.Messages()
	for i := range msgs.Len() {
		m := msgs.Get(i)
		for j := range m.Fields().Len() {
			got[string(m.Name())] = append(got[string(m.Name())], describeField(m.Fields().Get(j)))
		}
		if m.Fields().Len() == 0 {
			got[string(m.Name())] = nil
		}
	}
	for name, fields := range wantMessages {
		if !slices.Equal(got[name], fields) {
			t.Errorf("message %s:\n got %q\nwant %q", name, got[name], fields)
		}
	}
	for name := range got {
		if _, ok := wantMessages[name]; !ok {
			t.Errorf("message %s is not in the real API", name)
		}
	}
}

func TestTheProtoDeclaresExactlyTheRealEnums(t *testing.T) {
	enums := File_pubsub_api_proto.Enums()
	if enums.Len() != len(wantEnums) {
		t.Fatalf("%d enums, want %d", enums.Len(), len(wantEnums))
	}
	for i := range enums.Len() {
		e := enums.Get(i)
		var got []string
		for j := range e.Values().Len() {
			v := e.Values().Get(j)
			got = append(got, fmt.Sprintf("%d %s", v.Number(), v.Name()))
		}
		if !slices.Equal(got, wantEnums[string(e.Name())]) {
			t.Errorf("enum %s = %q, want %q", e.Name(), got, wantEnums[string(e.Name())])
		}
	}
}

func TestTheProtoDeclaresExactlyTheRealRPCs(t *testing.T) {
	services := File_pubsub_api_proto.Services()
	if services.Len() != 1 || services.Get(0).FullName() != "eventbus.v1.PubSub" {
		t.Fatalf("want the single service eventbus.v1.PubSub")
	}
	methods := services.Get(0).Methods()
	var got []string
	for i := range methods.Len() {
		m := methods.Get(i)
		var b strings.Builder
		b.WriteString(string(m.Name()))
		if m.IsStreamingClient() {
			b.WriteString(" stream")
		}
		b.WriteString(" " + string(m.Input().Name()))
		if m.IsStreamingServer() {
			b.WriteString(" stream")
		}
		b.WriteString(" " + string(m.Output().Name()))
		got = append(got, b.String())
	}
	if !slices.Equal(got, wantRPCs) {
		t.Fatalf("RPCs:\n got %q\nwant %q", got, wantRPCs)
	}
}
