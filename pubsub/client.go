package pubsub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/salesforce"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// DefaultEndpoint is Salesforce's global Pub/Sub API endpoint.
const DefaultEndpoint = "api.pubsub.salesforce.com:7443"

// Config says how to reach the Pub/Sub API and how streams behave. The zero
// value of every field is documented and sensible.
type Config struct {
	// Endpoint is host:port (DefaultEndpoint when empty).
	Endpoint string
	// CAFile is a PEM file of CAs to trust instead of the system roots.
	CAFile string
	// Plaintext disables TLS; only for a simulator on loopback.
	Plaintext bool
	// PingInterval is the HTTP/2 keepalive ping interval that detects dead
	// connections behind NAT (default 60 s, Salesforce's safe minimum).
	PingInterval time.Duration
	// MaxReceiveBytes caps one FetchResponse (default 64 MiB: 100 events of
	// up to 1 MB each, with room).
	MaxReceiveBytes int
	// Watchdog resubscribes when a stream sends nothing, not even a
	// keepalive, for this long (default 300 s: Salesforce's 270 s + margin).
	Watchdog time.Duration
	// MaxInFlightEvents and MaxInFlightBytes cap events received but not yet
	// released by the caller; credits stop while either is reached
	// (defaults 1,000 events and 64 MiB).
	MaxInFlightEvents int
	MaxInFlightBytes  int
	// LowWater: credits are topped up to 100 once at most this many events
	// are owed by the server (default 90: a top-up after every ~10 events
	// keeps nearly 100 events on the wire, which is what a high-latency
	// link needs; each top-up is one small FetchRequest).
	LowWater int
	// BackoffInitial and BackoffMax bound the reconnect backoff (defaults
	// 500 ms and 30 s), with jitter.
	BackoffInitial time.Duration
	BackoffMax     time.Duration
	// SchemaCacheSize bounds the number of cached schemas (default 256).
	SchemaCacheSize int
	// Dialer replaces the TCP dialer (tests use in-memory connections).
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
	// Logger receives reconnects and refreshes (slog.Default when nil).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 60 * time.Second
	}
	if c.MaxReceiveBytes <= 0 {
		c.MaxReceiveBytes = 64 << 20
	}
	if c.Watchdog <= 0 {
		c.Watchdog = 300 * time.Second
	}
	if c.MaxInFlightEvents <= 0 {
		c.MaxInFlightEvents = 1000
	}
	if c.MaxInFlightBytes <= 0 {
		c.MaxInFlightBytes = 64 << 20
	}
	if c.LowWater <= 0 || c.LowWater >= maxOutstanding {
		c.LowWater = maxOutstanding - 10
	}
	if c.BackoffInitial <= 0 {
		c.BackoffInitial = 500 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 30 * time.Second
	}
	if c.SchemaCacheSize <= 0 {
		c.SchemaCacheSize = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// maxOutstanding is the server's cap on events owed per stream.
const maxOutstanding = 100

// Client is one connection to the Pub/Sub API, shared by every topic's
// subscription, with one credential source whose forced refresh all share.
type Client struct {
	cfg     Config
	conn    *grpc.ClientConn // nil on a pool
	api     eventbusv1.PubSubClient
	creds   *sharedCredentials
	decoder *Decoder
	// pool and callOpts are set for a client on a Pool: its session goes
	// with each call instead of with the connection.
	pool     *Pool
	callOpts []grpc.CallOption
}

// NewClient prepares a connection (gRPC connects lazily, on the first call).
func NewClient(cfg Config, creds salesforce.SessionSource) (*Client, error) {
	if creds == nil {
		return nil, errors.New("create Pub/Sub client: no credentials given")
	}
	cfg = cfg.withDefaults()
	transport, err := transportCredentials(cfg)
	if err != nil {
		return nil, err
	}
	shared := &sharedCredentials{inner: creds}
	opts := append(dialOptions(cfg, transport), grpc.WithPerRPCCredentials(perRPCSession{creds: shared, plaintext: cfg.Plaintext}))
	conn, err := grpc.NewClient(cfg.Endpoint, opts...)
	if err != nil {
		return nil, fmt.Errorf("create Pub/Sub client for %s: %w", cfg.Endpoint, err)
	}
	api := eventbusv1.NewPubSubClient(conn)
	return &Client{
		cfg:     cfg,
		conn:    conn,
		api:     api,
		creds:   shared,
		decoder: NewDecoder(NewSchemaCache(PubSubSchemaSource{Client: api}, cfg.SchemaCacheSize)),
	}, nil
}

// dialOptions are a connection's settings, its session credentials aside
// (a Client's own connection carries them, a Pool's clients each per call).
func dialOptions(cfg Config, transport credentials.TransportCredentials) []grpc.DialOption {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxReceiveBytes)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: cfg.PingInterval, Timeout: 20 * time.Second}),
		// A full response is 100 events of up to 1 MB: windows that fit
		// several responses keep the server from stalling on HTTP/2 flow
		// control, and larger read buffers mean fewer TLS reads.
		grpc.WithInitialWindowSize(8 << 20),
		grpc.WithInitialConnWindowSize(16 << 20),
		grpc.WithReadBufferSize(256 << 10),
	}
	if cfg.Dialer != nil {
		opts = append(opts, grpc.WithContextDialer(cfg.Dialer))
	}
	return opts
}

func transportCredentials(cfg Config) (credentials.TransportCredentials, error) {
	if cfg.Plaintext {
		return insecure.NewCredentials(), nil
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file %s: %w", cfg.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %s: no PEM certificate in it", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	return credentials.NewTLS(tlsCfg), nil
}

// Close ends the connection (a pooled client's stay the pool's);
// subscriptions must be stopped first.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}
