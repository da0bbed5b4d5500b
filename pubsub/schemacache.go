package pubsub

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// SchemaSource returns the Avro schema JSON of a schema ID. It returns an
// error wrapping ErrUnknownSchema when the ID does not exist.
type SchemaSource interface {
	Schema(ctx context.Context, schemaID string) (string, error)
}

// PubSubSchemaSource is the SchemaSource of a live org: the Pub/Sub API's
// GetSchema RPC. Authentication metadata is the client connection's
// business.
type PubSubSchemaSource struct {
	Client      eventbusv1.PubSubClient
	CallOptions []grpc.CallOption
}

// Schema calls GetSchema. NOT_FOUND and INVALID_ARGUMENT ("Schema validation
// failed") mean the ID is unknown; other failures are returned as they came,
// with their gRPC status, for the caller's retry policy.
func (s PubSubSchemaSource) Schema(ctx context.Context, schemaID string) (string, error) {
	info, err := s.Client.GetSchema(ctx, &eventbusv1.SchemaRequest{SchemaId: schemaID}, s.CallOptions...)
	switch code := status.Code(err); {
	case err == nil:
	case code == codes.NotFound || code == codes.InvalidArgument:
		return "", fmt.Errorf("call GetSchema: %w: %w", ErrUnknownSchema, err)
	default:
		return "", fmt.Errorf("call GetSchema: %w", err)
	}
	if info.GetSchemaJson() == "" {
		return "", fmt.Errorf("call GetSchema: %w: empty schema JSON", ErrUnknownSchema)
	}
	return info.GetSchemaJson(), nil
}

// DefaultSchemaCacheSize is the capacity NewSchemaCache uses for a capacity
// of zero or less: far more schemas than one process subscribes to (one per
// object and schema version), while a compiled schema of a few hundred
// fields weighs well under a megabyte.
const DefaultSchemaCacheSize = 256

// SchemaCache holds compiled writer schemas by schema ID, the only key that
// identifies a schema: a topic's schema changes when an admin adds a field,
// and multi-entity channels mix schemas. It fetches a missing ID once however
// many goroutines ask at the same time, keeps at most its capacity and drops
// the least recently used schema first. Failed fetches are not remembered.
// It is safe for concurrent use.
type SchemaCache struct {
	source   SchemaSource
	capacity int

	mu       sync.Mutex
	byID     map[string]*list.Element // Value: *WriterSchema
	recency  *list.List               // front: most recently used
	inflight map[string]*schemaFetch
}

// schemaFetch is one fetch in progress; waiters read its result after done
// is closed.
type schemaFetch struct {
	done   chan struct{}
	schema *WriterSchema
	err    error
}

// NewSchemaCache returns an empty cache filled from source on demand.
// capacity <= 0 means DefaultSchemaCacheSize.
func NewSchemaCache(source SchemaSource, capacity int) *SchemaCache {
	if capacity <= 0 {
		capacity = DefaultSchemaCacheSize
	}
	return &SchemaCache{
		source:   source,
		capacity: capacity,
		byID:     make(map[string]*list.Element),
		recency:  list.New(),
		inflight: make(map[string]*schemaFetch),
	}
}

// Len reports how many schemas the cache holds.
func (c *SchemaCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recency.Len()
}

// Get returns the compiled schema of schemaID, fetching it on a miss.
func (c *SchemaCache) Get(ctx context.Context, schemaID string) (*WriterSchema, error) {
	for {
		c.mu.Lock()
		if schema := c.lookupLocked(schemaID); schema != nil {
			c.mu.Unlock()
			return schema, nil
		}
		fetch, waiting := c.inflight[schemaID]
		if !waiting {
			fetch = &schemaFetch{done: make(chan struct{})}
			c.inflight[schemaID] = fetch
		}
		c.mu.Unlock()

		if !waiting {
			c.lead(ctx, schemaID, fetch)
			return fetch.schema, fetch.err
		}
		select {
		case <-fetch.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for schema %q: %w", schemaID, ctx.Err())
		}
		// The leader's context ended, ours did not: fetch it ourselves.
		if isContextEnd(fetch.err) && ctx.Err() == nil {
			continue
		}
		return fetch.schema, fetch.err
	}
}

// errFetchAbandoned is what waiters see if the source panics in the leader.
var errFetchAbandoned = errors.New("schema fetch abandoned")

// lead fetches for everyone waiting on fetch and publishes the result.
func (c *SchemaCache) lead(ctx context.Context, schemaID string, fetch *schemaFetch) {
	fetch.err = errFetchAbandoned
	defer func() {
		c.mu.Lock()
		delete(c.inflight, schemaID)
		if fetch.err == nil {
			c.addLocked(fetch.schema)
		}
		c.mu.Unlock()
		close(fetch.done)
	}()
	fetch.schema, fetch.err = c.fetch(ctx, schemaID)
}

func (c *SchemaCache) fetch(ctx context.Context, schemaID string) (*WriterSchema, error) {
	schemaJSON, err := c.source.Schema(ctx, schemaID)
	if err != nil {
		return nil, fmt.Errorf("fetch schema %q: %w", schemaID, err)
	}
	return CompileSchema(schemaID, schemaJSON)
}

func (c *SchemaCache) lookupLocked(schemaID string) *WriterSchema {
	element, ok := c.byID[schemaID]
	if !ok {
		return nil
	}
	c.recency.MoveToFront(element)
	return element.Value.(*WriterSchema)
}

func (c *SchemaCache) addLocked(schema *WriterSchema) {
	c.byID[schema.id] = c.recency.PushFront(schema)
	for c.recency.Len() > c.capacity {
		oldest := c.recency.Back()
		c.recency.Remove(oldest)
		delete(c.byID, oldest.Value.(*WriterSchema).id)
	}
}

func isContextEnd(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
