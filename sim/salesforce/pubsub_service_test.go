package salesforce

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// These tests drive the simulated Pub/Sub service through the generated
// client over real loopback sockets, with opaque payloads: what the events
// contain is tested with the org's change events elsewhere.

const (
	testOrgID    = "00D5e000000AbCdEAA"
	testInstance = "https://sim.my.salesforce.com"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// staticTopics routes /data/<E>ChangeEvent to E and /data/ChangeEvents to all.
type staticTopics struct{ entities []string }

func (t staticTopics) ChannelEntities(topic string) ([]string, bool) {
	if topic == "/data/ChangeEvents" {
		return t.entities, true
	}
	for _, e := range t.entities {
		if topic == "/data/"+e+"ChangeEvent" || topic == "/event/"+e {
			return []string{e}, true
		}
	}
	return nil, false
}

func (t staticTopics) TopicSchemaID(topic string) string {
	if e, ok := t.ChannelEntities(topic); ok && len(e) == 1 {
		return "schema-" + e[0]
	}
	return ""
}

type harness struct {
	clock  *fakeClock
	bus    *Bus
	tokens *Tokens
	faults *Faults
	server *PubSubServer
	client eventbusv1.PubSubClient
	token  string
}

func newHarness(t *testing.T, keepalive time.Duration, plaintext bool) *harness {
	t.Helper()
	h := &harness{clock: &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}, faults: &Faults{}}
	h.bus = NewBus(h.clock, 0)
	h.tokens = NewTokens(h.clock, testOrgID)
	h.token = h.tokens.Issue()
	srv, err := StartPubSub(PubSubBackend{
		OrgID: testOrgID, InstanceURL: testInstance,
		Topics: staticTopics{entities: []string{"Case", "EmailMessage", "Alert__e"}},
		Bus:    h.bus, Tokens: h.tokens, Faults: h.faults,
	}, PubSubConfig{Insecure: plaintext, CAFile: t.TempDir() + "/ca.pem", Keepalive: keepalive})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h.server = srv
	creds := insecure.NewCredentials()
	if !plaintext {
		tlsCreds, err := credentials.NewClientTLSFromFile(srv.CAFile(), "")
		if err != nil {
			t.Fatal(err)
		}
		creds = tlsCreds
	}
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h.client = eventbusv1.NewPubSubClient(conn)
	return h
}

func (h *harness) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", h.token, "instanceurl", testInstance, "tenantid", testOrgID)
}

func (h *harness) append(entity string, n int) []uint64 {
	var ids []uint64
	for i := range n {
		ids = append(ids, h.bus.Append(BusEvent{Entity: entity, EventUUID: fmt.Sprintf("%s-%d", entity, i), SchemaID: "schema-" + entity, Payload: []byte(entity)}))
	}
	return ids
}

func (h *harness) subscribe(t *testing.T, ctx context.Context, first *eventbusv1.FetchRequest) eventbusv1.PubSub_SubscribeClient {
	t.Helper()
	stream, err := h.client.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(first); err != nil {
		t.Fatal(err)
	}
	return stream
}

// receiveEvents reads responses until n events arrived, skipping keepalives.
func receiveEvents(t *testing.T, stream eventbusv1.PubSub_SubscribeClient, n int) []*eventbusv1.ConsumerEvent {
	t.Helper()
	var got []*eventbusv1.ConsumerEvent
	for len(got) < n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, resp.GetEvents()...)
	}
	return got
}

func replayIDs(evs []*eventbusv1.ConsumerEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = binary.BigEndian.Uint64(e.GetReplayId())
	}
	return out
}

func trailerCode(stream grpc.ClientStream) string {
	if v := stream.Trailer().Get("error-code"); len(v) > 0 {
		return v[0]
	}
	return ""
}

func TestEachReplayPresetStartsWhereTheAPISays(t *testing.T) {
	t.Parallel()
	// A short keepalive lets the LATEST step see when its stream is open.
	h := newHarness(t, 50*time.Millisecond, false)
	ids := h.append("Case", 5)
	ctx := h.ctx(t)

	earliest := receiveEvents(t, h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100}), 5)
	if got := replayIDs(earliest); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("EARLIEST delivered %v, want %v", got, ids)
	}

	custom := receiveEvents(t, h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_CUSTOM, ReplayId: EncodeReplayID(ids[1]), NumRequested: 100}), 3)
	if got := replayIDs(custom); fmt.Sprint(got) != fmt.Sprint(ids[2:]) {
		t.Fatalf("CUSTOM after %d delivered %v, want %v", ids[1], got, ids[2:])
	}

	latest := h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 100})
	// Events appended once the server resolved LATEST are after it.
	if at := awaitKeepalive(t, latest); at != ids[4] {
		t.Fatalf("LATEST started at replay ID %d, want the tip %d", at, ids[4])
	}
	newer := h.append("Case", 2)
	if got := replayIDs(receiveEvents(t, latest, 2)); fmt.Sprint(got) != fmt.Sprint(newer) {
		t.Fatalf("LATEST delivered %v, want only the newer %v", got, newer)
	}
}

// awaitKeepalive reads a stream's first response, which must be a
// keepalive, and returns its latest replay ID. The server sends keepalives
// only on a subscription it has opened, so once one arrives the stream's
// start position is resolved: an event appended after that is delivered.
func awaitKeepalive(t *testing.T, stream eventbusv1.PubSub_SubscribeClient) uint64 {
	t.Helper()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("waiting for the first keepalive: %v", err)
	}
	if len(resp.GetEvents()) != 0 {
		t.Fatalf("the first response carried %d events, want a keepalive", len(resp.GetEvents()))
	}
	return binary.BigEndian.Uint64(resp.GetLatestReplayId())
}

func TestReplayIDsAreEightBytesAndIncreasePerChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.append("Case", 2)
	h.append("EmailMessage", 2)
	h.append("Case", 1)
	ctx := h.ctx(t)
	cases := receiveEvents(t, h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 10}), 3)
	all := receiveEvents(t, h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/ChangeEvents", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 10}), 5)
	for _, evs := range [][]*eventbusv1.ConsumerEvent{cases, all} {
		ids := replayIDs(evs)
		for i, e := range evs {
			if len(e.GetReplayId()) != 8 {
				t.Fatalf("replay ID %x is %d bytes, want 8", e.GetReplayId(), len(e.GetReplayId()))
			}
			if i > 0 && ids[i] <= ids[i-1] {
				t.Fatalf("replay IDs not increasing: %v", ids)
			}
		}
	}
	for _, e := range cases {
		if string(e.GetEvent().GetPayload()) != "Case" {
			t.Fatalf("the Case channel delivered an event of %q", e.GetEvent().GetPayload())
		}
	}
}

func TestExpiredReplayIDFailsWithTheCorruptedErrorCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, false)
	old := h.append("Case", 3)
	h.clock.Advance(DefaultRetention + time.Hour)
	h.token = h.tokens.Issue()
	h.append("Case", 1)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_CUSTOM, ReplayId: EncodeReplayID(old[0]), NumRequested: 10})
	_, err := stream.Recv()
	if status.Code(err) != codes.InvalidArgument || trailerCode(stream) != CodeReplayCorrupted {
		t.Fatalf("got %v with error-code %q, want INVALID_ARGUMENT with %s", err, trailerCode(stream), CodeReplayCorrupted)
	}
	if len(stream.Trailer().Get("rpc-id")) == 0 {
		t.Fatal("the error carries no rpc-id trailer")
	}
}

func TestMalformedReplayIDFailsValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, false)
	h.append("Case", 1)
	for name, raw := range map[string][]byte{
		"ascii digits":        []byte("2458760"),
		"beyond the tip":      EncodeReplayID(1 << 40),
		"missing with CUSTOM": nil,
	} {
		t.Run(name, func(t *testing.T) {
			stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_CUSTOM, ReplayId: raw, NumRequested: 1})
			_, err := stream.Recv()
			if status.Code(err) != codes.InvalidArgument || trailerCode(stream) != CodeReplayValidation {
				t.Fatalf("got %v with error-code %q, want INVALID_ARGUMENT with %s", err, trailerCode(stream), CodeReplayValidation)
			}
		})
	}
}

func TestOutstandingEventsNeverExceedOneHundred(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100*time.Millisecond, true)
	h.append("Case", 500)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 150})
	// Each round asks for more than allowed; the server treats it as 100.
	for round, ask := range []int32{150, 500} {
		if round > 0 {
			if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: ask}); err != nil {
				t.Fatal(err)
			}
		}
		received := 0
		for {
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			received += len(resp.GetEvents())
			if p := int(resp.GetPendingNumRequested()); p < 0 || p+received > maxOutstanding {
				t.Fatalf("round %d: pending %d after %d events exceeds %d outstanding", round, p, received, maxOutstanding)
			}
			if len(resp.GetEvents()) == 0 { // keepalive: the server stopped delivering
				if resp.GetPendingNumRequested() != 0 {
					t.Fatalf("keepalive while %d events are owed and available", resp.GetPendingNumRequested())
				}
				break
			}
		}
		if received != maxOutstanding {
			t.Fatalf("round %d: asked for %d, received %d; want exactly %d", round, ask, received, maxOutstanding)
		}
	}
}

func TestNonPositiveNumRequestedIsRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	for _, n := range []int32{0, -5} {
		stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: n})
		_, err := stream.Recv()
		if status.Code(err) != codes.InvalidArgument || trailerCode(stream) != CodeRequestedInvalid {
			t.Fatalf("num_requested %d: got %v (%q), want INVALID_ARGUMENT with %s", n, err, trailerCode(stream), CodeRequestedInvalid)
		}
	}
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 1})
	if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: 0}); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if trailerCode(stream) != CodeRequestedInvalid {
				t.Fatalf("a later zero request ended the stream with %v (%q)", err, trailerCode(stream))
			}
			break
		}
	}
}

func TestLaterRequestForAnotherTopicIsRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 1})
	if err := stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/EmailMessageChangeEvent", NumRequested: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := stream.Recv()
	if status.Code(err) != codes.InvalidArgument || trailerCode(stream) != CodeTopicMismatch {
		t.Fatalf("got %v (%q), want INVALID_ARGUMENT with %s", err, trailerCode(stream), CodeTopicMismatch)
	}
}

func TestIdleStreamGetsKeepalivesWithTheLatestReplayID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 50*time.Millisecond, true)
	ids := h.append("EmailMessage", 3) // on another channel: scanned past, not delivered
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 5})
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetEvents()) != 0 || binary.BigEndian.Uint64(resp.GetLatestReplayId()) != ids[2] || resp.GetPendingNumRequested() != 5 {
		t.Fatalf("keepalive = %d events, latest %x, pending %d; want 0 events, latest %d, pending 5", len(resp.GetEvents()), resp.GetLatestReplayId(), resp.GetPendingNumRequested(), ids[2])
	}
}

// authProbe makes one call of an RPC and returns its trailer and error.
type authProbe func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error)

// streamError sends first on a stream and reads until the stream ends.
func streamError[Req, Resp any](stream grpc.BidiStreamingClient[Req, Resp], err error, first *Req) (metadata.MD, error) {
	if err != nil {
		return nil, err
	}
	_ = stream.Send(first) // a stream the server already ended fails on Recv
	if _, err := stream.Recv(); err != nil {
		return stream.Trailer(), err
	}
	// One response means the call was accepted.
	_ = stream.CloseSend()
	return nil, nil
}

var authProbes = map[string]authProbe{
	"GetTopic": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		var tr metadata.MD
		_, err := c.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"}, grpc.Trailer(&tr))
		return tr, err
	},
	"GetSchema": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		var tr metadata.MD
		_, err := c.GetSchema(ctx, &eventbusv1.SchemaRequest{SchemaId: "schema-Case"}, grpc.Trailer(&tr))
		return tr, err
	},
	"Publish": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		var tr metadata.MD
		_, err := c.Publish(ctx, &eventbusv1.PublishRequest{TopicName: "/event/Alert__e", Events: []*eventbusv1.ProducerEvent{
			{Id: "auth-probe", SchemaId: "schema-Alert__e", Payload: []byte("x")}}}, grpc.Trailer(&tr))
		return tr, err
	},
	"PublishStream": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		stream, err := c.PublishStream(ctx)
		return streamError(stream, err, &eventbusv1.PublishRequest{TopicName: "/event/Alert__e", Events: []*eventbusv1.ProducerEvent{
			{Id: "auth-probe", SchemaId: "schema-Alert__e", Payload: []byte("x")}}})
	},
	"Subscribe": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		stream, err := c.Subscribe(ctx)
		return streamError(stream, err, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 1})
	},
	"ManagedSubscribe": func(ctx context.Context, c eventbusv1.PubSubClient) (metadata.MD, error) {
		stream, err := c.ManagedSubscribe(ctx)
		return streamError(stream, err, &eventbusv1.ManagedFetchRequest{DeveloperName: "SfcdcProbe", NumRequested: 1})
	},
}

func TestEveryCallNeedsValidAuthMetadata(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.bus.RegisterSchema("schema-Case", `{"type":"record","name":"CaseChangeEvent","fields":[]}`)
	h.append("Case", 1) // so an accepted Subscribe gets an event back
	bad := map[string][]string{
		"no token":       {"instanceurl", testInstance, "tenantid", testOrgID},
		"unknown token":  {"accesstoken", "00D5e000000AbCd!forged", "instanceurl", testInstance, "tenantid", testOrgID},
		"wrong tenant":   {"accesstoken", h.token, "instanceurl", testInstance, "tenantid", "00D000000000001AAA"},
		"wrong instance": {"accesstoken", h.token, "instanceurl", "https://other.my.salesforce.com", "tenantid", testOrgID},
	}
	for rpc, probe := range authProbes {
		for name, md := range bad {
			t.Run(rpc+"/"+name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), metadata.Pairs(md...)), 20*time.Second)
				defer cancel()
				trailer, err := probe(ctx, h.client)
				if status.Code(err) != codes.Unauthenticated || len(trailer.Get("error-code")) == 0 || trailer.Get("error-code")[0] != CodeAuthError {
					t.Fatalf("got %v, trailer %v; want UNAUTHENTICATED with error-code %s", err, trailer, CodeAuthError)
				}
			})
		}
		// The same call with good metadata (the tenant as its 15-character
		// form) gets past the auth check.
		t.Run(rpc+"/valid, 15-char org", func(t *testing.T) {
			md := metadata.Pairs("accesstoken", h.token, "instanceurl", testInstance, "tenantid", testOrgID[:15])
			ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 20*time.Second)
			defer cancel()
			_, err := probe(ctx, h.client)
			want := codes.OK
			if rpc == "ManagedSubscribe" {
				want = codes.Unimplemented // authorized, then told it is not simulated
			}
			if status.Code(err) != want {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}

func TestGetTopicAndGetSchemaFollowTheAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.bus.RegisterSchema("schema-Case", `{"type":"record","name":"CaseChangeEvent","fields":[]}`)
	ctx := h.ctx(t)
	info, err := h.client.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"})
	if err != nil {
		t.Fatal(err)
	}
	if !info.GetCanSubscribe() || info.GetCanPublish() || info.GetSchemaId() != "schema-Case" || info.GetTenantGuid() != testOrgID {
		t.Fatalf("GetTopic = %v", info)
	}
	multi, err := h.client.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/ChangeEvents"})
	if err != nil || multi.GetSchemaId() != "" {
		t.Fatalf("/data/ChangeEvents: %v, schema %q; want a blank schema ID", err, multi.GetSchemaId())
	}
	if _, err := h.client.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/NopeChangeEvent"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown topic: %v, want NOT_FOUND", err)
	}
	schema, err := h.client.GetSchema(ctx, &eventbusv1.SchemaRequest{SchemaId: "schema-Case"})
	if err != nil || schema.GetSchemaJson() == "" {
		t.Fatalf("GetSchema: %v %v", schema, err)
	}
	if _, err := h.client.GetSchema(ctx, &eventbusv1.SchemaRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("blank schema ID: %v, want INVALID_ARGUMENT", err)
	}
	stream := h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/NopeChangeEvent", NumRequested: 1})
	if _, err := stream.Recv(); status.Code(err) != codes.NotFound {
		t.Fatalf("subscribing to an unknown topic: %v, want NOT_FOUND", err)
	}
}

func TestPublishedPlatformEventsAreDelivered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	ctx := h.ctx(t)
	resp, err := h.client.Publish(ctx, &eventbusv1.PublishRequest{TopicName: "/event/Alert__e", Events: []*eventbusv1.ProducerEvent{
		{Id: "a", SchemaId: "schema-Alert__e", Payload: []byte("x")},
		{Id: "b", SchemaId: "stale", Payload: []byte("y")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != 2 || len(resp.GetResults()[0].GetReplayId()) != 8 || resp.GetResults()[1].GetError() == nil {
		t.Fatalf("results = %v; want the first stored and the second rejected for its schema", resp.GetResults())
	}
	got := receiveEvents(t, h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/event/Alert__e", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 10}), 1)
	if got[0].GetEvent().GetId() != "a" {
		t.Fatalf("delivered %v", got[0])
	}
	if _, err := h.client.Publish(ctx, &eventbusv1.PublishRequest{TopicName: "/data/CaseChangeEvent"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("publishing to a change event channel: %v, want PERMISSION_DENIED", err)
	}
}

func TestFaultEndStreamAfterEventsEndsWithUnavailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.append("Case", 10)
	h.faults.Set(FaultSettings{EndStreamAfterEvents: 4})
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100})
	n, err := drain(stream)
	if n != 4 || status.Code(err) != codes.Unavailable {
		t.Fatalf("got %d events then %v; want 4 then UNAVAILABLE", n, err)
	}
}

func TestFaultResetClosesTheConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.append("Case", 10)
	h.faults.Set(FaultSettings{ResetAfterEvents: 3, Once: true})
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100})
	n, err := drain(stream)
	if n != 3 || status.Code(err) != codes.Unavailable {
		t.Fatalf("got %d events then %v; want 3 then UNAVAILABLE from the reset", n, err)
	}
	if h.faults.Get().ResetAfterEvents != 0 {
		t.Fatal("a Once fault stayed armed after firing")
	}
}

func TestFaultStallSilencesTheStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 20*time.Millisecond, true)
	h.append("Case", 5)
	h.faults.Set(FaultSettings{StallAfterEvents: 2})
	ctx, cancel := context.WithTimeout(h.ctx(t), 500*time.Millisecond)
	defer cancel()
	stream := h.subscribe(t, ctx, &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100})
	responses := 0
	events := 0
	var err error
	for {
		var resp *eventbusv1.FetchResponse
		if resp, err = stream.Recv(); err != nil {
			break
		}
		responses++
		events += len(resp.GetEvents())
	}
	// 25 keepalive periods passed; a live stream would have sent keepalives.
	// The call ends at its deadline: the client sees DEADLINE_EXCEEDED, or
	// EOF when the server noticed the propagated deadline first.
	ended := status.Code(err) == codes.DeadlineExceeded || errors.Is(err, io.EOF)
	if events != 2 || responses > 2 || !ended {
		t.Fatalf("got %d events in %d responses then %v; want 2 events, then silence until the deadline", events, responses, err)
	}
}

func TestFaultLatencyDelaysEachResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.append("Case", 3)
	h.faults.Set(FaultSettings{Latency: 30 * time.Millisecond})
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 1})
	start := time.Now()
	for range 3 {
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(start); elapsed < 90*time.Millisecond {
		t.Fatalf("3 responses took %v, want at least 3 × 30ms of injected latency", elapsed)
	}
}

func TestExpiredTokenEndsTheStreamAsUnauthenticated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Minute, true)
	h.append("Case", 2)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100})
	receiveEvents(t, stream, 2)
	h.tokens.SetLifetime(time.Hour)
	h.clock.Advance(2 * time.Hour)
	h.append("Case", 1)
	_, err := drain(stream)
	if status.Code(err) != codes.Unauthenticated || trailerCode(stream) != CodeAuthError {
		t.Fatalf("got %v (%q), want UNAUTHENTICATED with %s", err, trailerCode(stream), CodeAuthError)
	}
}

func TestResetConnectionsBreaksEveryStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 50*time.Millisecond, true)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 1})
	awaitKeepalive(t, stream) // the stream is open on the server
	h.server.ResetConnections()
	if _, err := drain(stream); status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
}

// drain reads until the stream ends and counts the events.
func drain(stream eventbusv1.PubSub_SubscribeClient) (int, error) {
	n := 0
	for {
		resp, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		n += len(resp.GetEvents())
	}
}

func TestAFaultArmedAfterItsCountFiresOnTheNextRound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 30*time.Millisecond, true)
	h.append("Case", 5)
	stream := h.subscribe(t, h.ctx(t), &eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100})
	receiveEvents(t, stream, 5)
	h.faults.Set(FaultSettings{EndStreamAfterEvents: 3})
	if _, err := drain(stream); status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want the armed fault to end the stream with UNAVAILABLE", err)
	}
}
