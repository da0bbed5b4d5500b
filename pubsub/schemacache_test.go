package pubsub

import (
	"context"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// expectNoLeakedGoroutines fails the test if a goroutine it started is still
// running once the test and its cleanups are done.
func expectNoLeakedGoroutines(t *testing.T) {
	t.Helper()
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
}

// yieldUntil yields until cond holds; the tests use it to order goroutines
// without sleeping.
func yieldUntil(cond func() bool) {
	for !cond() {
		runtime.Gosched()
	}
}

func TestSchemaCacheFetchesAMissingSchemaOnceForConcurrentCallers(t *testing.T) {
	expectNoLeakedGoroutines(t) // checks every goroutine of the process: not parallel
	source := newMemorySource(map[string]string{"em": mustReadFile(t, emailMessageSchemaPath)})
	source.gate = make(chan struct{})
	cache := NewSchemaCache(source, 0)

	const callers = 32
	var started atomic.Int64
	results := make([]*WriterSchema, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			started.Add(1)
			results[i], errs[i] = cache.Get(context.Background(), "em")
		})
	}
	yieldUntil(func() bool { return source.fetches.Load() == 1 && started.Load() == callers })
	for range 1000 { // let the late callers reach the wait
		runtime.Gosched()
	}
	close(source.gate)
	wg.Wait()

	if n := source.fetches.Load(); n != 1 {
		t.Errorf("%d concurrent callers caused %d fetches, want 1", callers, n)
	}
	for i := range callers {
		if errs[i] != nil || results[i] != results[0] || results[i] == nil {
			t.Fatalf("caller %d got %p, %v; want the one shared schema %p", i, results[i], errs[i], results[0])
		}
	}
}

func TestSchemaCacheDropsTheLeastRecentlyUsedSchemaWhenFull(t *testing.T) {
	t.Parallel()
	schemaJSON := mustReadFile(t, emailMessageSchemaPath)
	source := newMemorySource(map[string]string{"a": schemaJSON, "b": schemaJSON, "c": schemaJSON})
	cache := NewSchemaCache(source, 2)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "a", "c"} { // "b" is now the least recently used
		if _, err := cache.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if cache.Len() != 2 || source.fetches.Load() != 3 {
		t.Fatalf("after a, b, a, c: %d cached, %d fetches; want 2, 3", cache.Len(), source.fetches.Load())
	}
	for _, step := range []struct {
		id          string
		wantFetches int64
	}{{"a", 3}, {"c", 3}, {"b", 4}, {"a", 5}} {
		if _, err := cache.Get(ctx, step.id); err != nil {
			t.Fatal(err)
		}
		if got := source.fetches.Load(); got != step.wantFetches {
			t.Errorf("Get(%q): %d fetches so far, want %d", step.id, got, step.wantFetches)
		}
	}
}

func TestSchemaCacheDoesNotRememberAFailedFetch(t *testing.T) {
	t.Parallel()
	source := newMemorySource(map[string]string{})
	cache := NewSchemaCache(source, 0)
	if _, err := cache.Get(context.Background(), "late"); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("first Get error = %v, want ErrUnknownSchema", err)
	}
	source.mu.Lock()
	source.schemas["late"] = mustReadFile(t, emailMessageSchemaPath)
	source.mu.Unlock()
	if _, err := cache.Get(context.Background(), "late"); err != nil {
		t.Fatalf("second Get after the schema appeared: %v", err)
	}
}

func TestSchemaCacheWaiterFetchesItselfWhenTheLeaderGivesUp(t *testing.T) {
	expectNoLeakedGoroutines(t) // checks every goroutine of the process: not parallel
	source := newMemorySource(map[string]string{"em": mustReadFile(t, emailMessageSchemaPath)})
	source.gate = make(chan struct{})
	cache := NewSchemaCache(source, 0)

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := cache.Get(leaderCtx, "em")
		leaderErr <- err
	}()
	yieldUntil(func() bool { return source.fetches.Load() == 1 })

	waiterDone := make(chan error, 1)
	go func() {
		schema, err := cache.Get(context.Background(), "em")
		if err == nil && schema == nil {
			err = errors.New("nil schema without error")
		}
		waiterDone <- err
	}()
	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader error = %v, want context.Canceled", err)
	}
	close(source.gate)
	if err := <-waiterDone; err != nil {
		t.Errorf("waiter whose context is live got %v, want the schema", err)
	}
}

func TestSchemaCacheWaiterStopsWaitingWhenItsContextEnds(t *testing.T) {
	expectNoLeakedGoroutines(t) // checks every goroutine of the process: not parallel
	source := newMemorySource(map[string]string{"em": mustReadFile(t, emailMessageSchemaPath)})
	source.gate = make(chan struct{})
	cache := NewSchemaCache(source, 0)
	leaderDone := make(chan error, 1)
	go func() {
		_, err := cache.Get(context.Background(), "em")
		leaderDone <- err
	}()
	yieldUntil(func() bool { return source.fetches.Load() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cache.Get(ctx, "em"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with an ended context = %v, want context.Canceled", err)
	}
	close(source.gate)
	if err := <-leaderDone; err != nil {
		t.Errorf("leader: %v", err)
	}
}

// emailMessageV2 is the EmailMessage schema after an admin added a custom
// field before LastModifiedDate: every later position moves by one.
func emailMessageV2(t *testing.T) string {
	v1 := mustReadFile(t, emailMessageSchemaPath)
	anchor := `{
      "name": "LastModifiedDate",`
	if !strings.Contains(v1, anchor) {
		t.Fatal("EmailMessage schema layout changed; update emailMessageV2")
	}
	added := `{"name": "Priority__c", "type": ["null", "string"], "default": null},
    `
	return strings.Replace(v1, anchor, added+anchor, 1)
}

func TestDecodeUsesEachEventsOwnSchemaWhenATopicChangesSchema(t *testing.T) {
	t.Parallel()
	v1, v2 := mustReadFile(t, emailMessageSchemaPath), emailMessageV2(t)
	source := newMemorySource(map[string]string{"em-v1": v1, "em-v2": v2})
	decoder := NewDecoder(NewSchemaCache(source, 0))
	// Bit 32 is LastModifiedDate in v1 and Priority__c in v2.
	events := []struct {
		schemaID, schemaJSON string
		changed              []string
		fields               map[string]any
		wantChanged          []string
	}{
		{"em-v1", v1, []string{"0x100000000"}, map[string]any{"LastModifiedDate": int64(1)}, []string{"LastModifiedDate"}},
		{"em-v2", v2, []string{"0x300000000"}, map[string]any{"Priority__c": "High", "LastModifiedDate": int64(1)}, []string{"Priority__c", "LastModifiedDate"}},
		{"em-v1", v1, []string{"0x100000000"}, map[string]any{"LastModifiedDate": int64(1)}, []string{"LastModifiedDate"}},
	}
	for i, e := range events {
		payload := e.fields
		payload["ChangeEventHeader"] = emailHeader(ChangeUpdate, e.changed, nil, nil)
		event, err := decoder.Decode(context.Background(), emailMessageTopic, consumerEventOf(e.schemaID, []byte{byte(i)}, encodeJSON(t, e.schemaJSON, payload)))
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, e.schemaID, err)
		}
		if !slices.Equal(event.Header.ChangedFields, e.wantChanged) {
			t.Errorf("event %d (%s) changed %q, want %q", i, e.schemaID, event.Header.ChangedFields, e.wantChanged)
		}
		_, hasPriority := event.Fields["Priority__c"]
		if hasPriority != (e.schemaID == "em-v2") {
			t.Errorf("event %d (%s): Priority__c present = %v", i, e.schemaID, hasPriority)
		}
	}
	if n := source.fetches.Load(); n != 2 {
		t.Errorf("%d schema fetches for two schema IDs, want 2", n)
	}
}

// getSchemaServer answers GetSchema the way the tests need.
type getSchemaServer struct {
	eventbusv1.UnimplementedPubSubServer
	schemaJSON string
}

func (s *getSchemaServer) GetSchema(_ context.Context, req *eventbusv1.SchemaRequest) (*eventbusv1.SchemaInfo, error) {
	switch req.GetSchemaId() {
	case "known":
		return &eventbusv1.SchemaInfo{SchemaId: "known", SchemaJson: s.schemaJSON}, nil
	case "empty":
		return &eventbusv1.SchemaInfo{SchemaId: "empty"}, nil
	case "":
		return nil, status.Error(codes.InvalidArgument, "Schema validation failed. The schema ID can't be blank.")
	case "down":
		return nil, status.Error(codes.Unavailable, "The service is unavailable. Try again later.")
	}
	return nil, status.Error(codes.NotFound, "schema not found")
}

func dialGetSchemaServer(t *testing.T, server *getSchemaServer) eventbusv1.PubSubClient {
	t.Helper()
	listener := bufconn.Listen(1 << 20)
	grpcServer := grpc.NewServer()
	eventbusv1.RegisterPubSubServer(grpcServer, server)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = grpcServer.Serve(listener)
	}()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return listener.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		grpcServer.Stop()
		<-served
	})
	return eventbusv1.NewPubSubClient(conn)
}

func TestPubSubSchemaSourceMapsGetSchemaAnswers(t *testing.T) {
	expectNoLeakedGoroutines(t) // checks every goroutine of the process: not parallel
	schemaJSON := mustReadFile(t, emailMessageSchemaPath)
	source := PubSubSchemaSource{Client: dialGetSchemaServer(t, &getSchemaServer{schemaJSON: schemaJSON})}
	tests := []struct {
		name, schemaID string
		want           string
		wantUnknown    bool
		wantCode       codes.Code
	}{
		{"a known ID returns the schema JSON", "known", schemaJSON, false, codes.OK},
		{"NOT_FOUND means unknown", "missing", "", true, codes.NotFound},
		{"INVALID_ARGUMENT means unknown", "", "", true, codes.InvalidArgument},
		{"an empty schema means unknown", "empty", "", true, codes.OK},
		{"UNAVAILABLE stays a transient gRPC error", "down", "", false, codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := source.Schema(context.Background(), tt.schemaID)
			if got != tt.want {
				t.Errorf("Schema(%q) = %.40q, want %.40q", tt.schemaID, got, tt.want)
			}
			if errors.Is(err, ErrUnknownSchema) != tt.wantUnknown {
				t.Errorf("Schema(%q) error %v: unknown = %v, want %v", tt.schemaID, err, !tt.wantUnknown, tt.wantUnknown)
			}
			if tt.wantCode != codes.OK && status.Code(err) != tt.wantCode {
				t.Errorf("Schema(%q) error %v has code %v, want %v", tt.schemaID, err, status.Code(err), tt.wantCode)
			}
			if tt.want == "" && err == nil {
				t.Errorf("Schema(%q) returned no error", tt.schemaID)
			}
		})
	}
}

func TestDecoderDecodesThroughTheGetSchemaRPC(t *testing.T) {
	expectNoLeakedGoroutines(t) // checks every goroutine of the process: not parallel
	schemaJSON := mustReadFile(t, emailMessageSchemaPath)
	client := dialGetSchemaServer(t, &getSchemaServer{schemaJSON: schemaJSON})
	decoder := NewDecoder(NewSchemaCache(PubSubSchemaSource{Client: client}, 0))
	payload := encodeJSON(t, schemaJSON, map[string]any{"ChangeEventHeader": emailHeader(ChangeDelete, nil, nil, nil)})
	event, err := decoder.Decode(context.Background(), emailMessageTopic, consumerEventOf("known", []byte{9}, payload))
	if err != nil {
		t.Fatal(err)
	}
	if event.Header.ChangeType != ChangeDelete || event.Header.EntityName != "EmailMessage" {
		t.Errorf("header = %+v", event.Header)
	}
	if _, err := decoder.Decode(context.Background(), emailMessageTopic, consumerEventOf("gone", []byte{9}, payload)); !errors.Is(err, ErrUnknownSchema) {
		t.Errorf("an ID the server does not know: %v, want ErrUnknownSchema", err)
	}
}
