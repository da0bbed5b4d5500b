package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/salesforce"
	"google.golang.org/grpc"
)

// MaxStreamsPerConn is the Pub/Sub API's limit of concurrent streams on one
// gRPC channel (one HTTP/2 connection).
const MaxStreamsPerConn = 100

// Pool is a few gRPC connections to one Pub/Sub endpoint shared by the
// clients of many integrations (sfcdc serve): each client's calls carry its
// own session as per-call credentials, and each Subscribe stream takes a
// slot on the connection with the fewest streams, a new connection being
// opened only when every one holds MaxStreamsPerConn. Connections are
// opened lazily and closed by Close. Safe for concurrent use.
type Pool struct {
	cfg  Config
	opts []grpc.DialOption

	mu     sync.Mutex
	conns  []*pooledConn
	closed bool
}

// pooledConn is one connection and the streams it carries.
type pooledConn struct {
	conn    *grpc.ClientConn
	api     eventbusv1.PubSubClient
	streams int
}

// NewPool prepares a pool for cfg's endpoint and transport (Endpoint,
// CAFile, Plaintext, PingInterval, MaxReceiveBytes, Dialer); the per-stream
// settings of cfg stay each client's.
func NewPool(cfg Config) (*Pool, error) {
	cfg = cfg.withDefaults()
	transport, err := transportCredentials(cfg)
	if err != nil {
		return nil, err
	}
	return &Pool{cfg: cfg, opts: dialOptions(cfg, transport)}, nil
}

// NewClient returns a client on the pool's connections with its own
// session and stream settings (cfg's endpoint and transport are the
// pool's). Closing the client closes no connection.
func (p *Pool) NewClient(cfg Config, creds salesforce.SessionSource) (*Client, error) {
	if creds == nil {
		return nil, errors.New("create Pub/Sub client: no credentials given")
	}
	cfg = cfg.withDefaults()
	cfg.Endpoint, cfg.CAFile, cfg.Plaintext, cfg.Dialer = p.cfg.Endpoint, p.cfg.CAFile, p.cfg.Plaintext, p.cfg.Dialer
	shared := &sharedCredentials{inner: creds}
	c := &Client{cfg: cfg, creds: shared, pool: p,
		callOpts: []grpc.CallOption{grpc.PerRPCCredentials(perRPCSession{creds: shared, plaintext: cfg.Plaintext})}}
	api := pooledAPI{pool: p, opts: c.callOpts}
	c.api = api
	c.decoder = NewDecoder(NewSchemaCache(PubSubSchemaSource{Client: api}, cfg.SchemaCacheSize))
	return c, nil
}

// acquire takes a stream slot on the least loaded connection, opening one
// when all are full; release gives the slot back.
func (p *Pool) acquire() (eventbusv1.PubSubClient, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errors.New("Pub/Sub pool is closed")
	}
	var best *pooledConn
	for _, pc := range p.conns {
		if pc.streams < MaxStreamsPerConn && (best == nil || pc.streams < best.streams) {
			best = pc
		}
	}
	if best == nil {
		conn, err := grpc.NewClient(p.cfg.Endpoint, p.opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("connect to Pub/Sub at %s: %w", p.cfg.Endpoint, err)
		}
		best = &pooledConn{conn: conn, api: eventbusv1.NewPubSubClient(conn)}
		p.conns = append(p.conns, best)
	}
	best.streams++
	var once sync.Once
	return best.api, func() {
		once.Do(func() {
			p.mu.Lock()
			best.streams--
			p.mu.Unlock()
		})
	}, nil
}

// unary is a connection for a short call (GetTopic, GetSchema): the least
// loaded one, without taking a stream slot for longer than the call.
func (p *Pool) unary() (eventbusv1.PubSubClient, func(), error) { return p.acquire() }

// Streams is the number of streams on each open connection.
func (p *Pool) Streams() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, len(p.conns))
	for i, pc := range p.conns {
		out[i] = pc.streams
	}
	return out
}

// Close closes every connection; the clients must be done.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for _, pc := range p.conns {
		errs = append(errs, pc.conn.Close())
	}
	p.conns = nil
	return errors.Join(errs...)
}

// pooledAPI is the Pub/Sub API over a pool, every call with one client's
// credentials. A Subscribe stream holds its slot until the stream ends.
type pooledAPI struct {
	pool *Pool
	opts []grpc.CallOption
}

var _ eventbusv1.PubSubClient = pooledAPI{}

func (a pooledAPI) Publish(ctx context.Context, in *eventbusv1.PublishRequest, opts ...grpc.CallOption) (*eventbusv1.PublishResponse, error) {
	api, release, err := a.pool.unary()
	if err != nil {
		return nil, err
	}
	defer release()
	return api.Publish(ctx, in, append(opts, a.opts...)...)
}

func (a pooledAPI) PublishStream(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[eventbusv1.PublishRequest, eventbusv1.PublishResponse], error) {
	api, release, err := a.pool.acquire()
	if err != nil {
		return nil, err
	}
	stream, err := api.PublishStream(ctx, append(opts, a.opts...)...)
	if err != nil {
		release()
		return nil, err
	}
	context.AfterFunc(ctx, release)
	return stream, nil
}

func (a pooledAPI) ManagedSubscribe(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[eventbusv1.ManagedFetchRequest, eventbusv1.ManagedFetchResponse], error) {
	api, release, err := a.pool.acquire()
	if err != nil {
		return nil, err
	}
	stream, err := api.ManagedSubscribe(ctx, append(opts, a.opts...)...)
	if err != nil {
		release()
		return nil, err
	}
	context.AfterFunc(ctx, release)
	return stream, nil
}

func (a pooledAPI) GetTopic(ctx context.Context, in *eventbusv1.TopicRequest, opts ...grpc.CallOption) (*eventbusv1.TopicInfo, error) {
	api, release, err := a.pool.unary()
	if err != nil {
		return nil, err
	}
	defer release()
	return api.GetTopic(ctx, in, append(opts, a.opts...)...)
}

func (a pooledAPI) GetSchema(ctx context.Context, in *eventbusv1.SchemaRequest, opts ...grpc.CallOption) (*eventbusv1.SchemaInfo, error) {
	api, release, err := a.pool.unary()
	if err != nil {
		return nil, err
	}
	defer release()
	return api.GetSchema(ctx, in, append(opts, a.opts...)...)
}

func (a pooledAPI) Subscribe(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[eventbusv1.FetchRequest, eventbusv1.FetchResponse], error) {
	api, release, err := a.pool.acquire()
	if err != nil {
		return nil, err
	}
	stream, err := api.Subscribe(ctx, append(opts, a.opts...)...)
	if err != nil {
		release()
		return nil, err
	}
	// The slot is free once the stream's context ends: the subscriber
	// cancels it at the end of every attempt.
	context.AfterFunc(ctx, release)
	return stream, nil
}
