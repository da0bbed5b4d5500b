package pubsub

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// Schema files used across the tests.
var (
	accountSchemaPath         = filepath.Join("testdata", "fixtures", "AccountChangeEvent.reconstructed.avsc.json")
	accountDecodedEventPath   = filepath.Join("testdata", "fixtures", "AccountChangeEvent.update.decoded.pozil-readme.json")
	platformEventSchemaPath   = filepath.Join("testdata", "fixtures", "platform-event-Case__e.conduit-testdata.avsc.json")
	emailMessageSchemaPath    = filepath.Join("testdata", "EmailMessageChangeEvent.avsc.json")
	sharedFixturesRootFromPkg = filepath.Join("testdata", "fixtures")
)

func mustReadFile(tb testing.TB, path string) string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s: %v (the shared fixtures are expected at %s)", path, err, sharedFixturesRootFromPkg)
	}
	return string(data)
}

func compileFile(tb testing.TB, id, path string) *WriterSchema {
	tb.Helper()
	schema, err := CompileSchema(id, mustReadFile(tb, path))
	if err != nil {
		tb.Fatalf("compile %s: %v", path, err)
	}
	return schema
}

// encodeJSON writes an event as Avro binary the way Salesforce would,
// starting from plain JSON-shaped Go values (unions not wrapped). It uses
// goavro's encoder, independent of the decoding code under test.
func encodeJSON(tb testing.TB, schemaJSON string, payload map[string]any) []byte {
	tb.Helper()
	codec, err := goavro.NewCodecForStandardJSONFull(schemaJSON)
	if err != nil {
		tb.Fatalf("build encoding codec: %v", err)
	}
	text, err := json.Marshal(payload)
	if err != nil {
		tb.Fatalf("marshal payload: %v", err)
	}
	native, _, err := codec.NativeFromTextual(text)
	if err != nil {
		tb.Fatalf("read payload as Avro JSON: %v", err)
	}
	binary, err := codec.BinaryFromNative(nil, native)
	if err != nil {
		tb.Fatalf("encode payload: %v", err)
	}
	return binary
}

// memorySource is a SchemaSource over a map that counts its fetches. When
// gate is set, every fetch waits for it to close first.
type memorySource struct {
	mu      sync.Mutex
	schemas map[string]string
	fetches atomic.Int64
	gate    chan struct{}
}

func newMemorySource(schemas map[string]string) *memorySource {
	return &memorySource{schemas: schemas}
}

func (s *memorySource) Schema(ctx context.Context, schemaID string) (string, error) {
	s.fetches.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	schemaJSON, ok := s.schemas[schemaID]
	if !ok {
		return "", ErrUnknownSchema
	}
	return schemaJSON, nil
}
