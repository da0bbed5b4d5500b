package salesforce

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// PubSubBackend is what the Pub/Sub service serves from.
type PubSubBackend struct {
	OrgID       string // 18-character org ID (tenantid)
	InstanceURL string // expected instanceurl metadata
	Topics      Topics
	Bus         *Bus
	Tokens      *Tokens
	Faults      *Faults // nil: no faults
}

// PubSubConfig says how the service listens.
type PubSubConfig struct {
	// Addr to listen on; "127.0.0.1:0" (a free loopback port) when empty.
	Addr string
	// Insecure serves plaintext HTTP/2. Addr must then be a loopback
	// address (CheckPlaintextAddr); anything else fails to start.
	Insecure bool
	// CAFile receives the generated CA certificate; a file in a new temporary
	// directory when empty. Ignored when Insecure.
	CAFile string
	// Keepalive is the longest silence on a stream (DefaultKeepalive when 0).
	Keepalive time.Duration
}

// PubSubServer is a running simulated Pub/Sub API endpoint.
type PubSubServer struct {
	grpc   *grpc.Server
	conns  *connTracker
	caFile string
	// tempDir holds a generated CA file; Close removes it.
	tempDir string
	done    chan struct{}
}

// StartPubSub listens and serves eventbus.v1.PubSub for one org until Close.
func StartPubSub(backend PubSubBackend, cfg PubSubConfig) (*PubSubServer, error) {
	return startPubSub([]PubSubBackend{backend}, cfg, nil)
}

// StartSharedPubSub serves many orgs behind one endpoint, as
// api.pubsub.salesforce.com does: each call's tenantid metadata picks the
// org, whose token, instance URL, topics, bus and faults then apply.
func StartSharedPubSub(backends []PubSubBackend, cfg PubSubConfig) (*PubSubServer, error) {
	return startPubSub(backends, cfg, nil)
}

// startPubSub is StartSharedPubSub with the TLS settings given (nil:
// generate a CA into cfg.CAFile), so Start can share one CA with the REST
// endpoint.
func startPubSub(backends []PubSubBackend, cfg PubSubConfig, tlsCfg *tls.Config) (*PubSubServer, error) {
	tenants, err := newTenantSet(backends)
	if err != nil {
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Keepalive <= 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	opts := PubSubServerOptions()
	var tempDir string
	if !cfg.Insecure {
		if tlsCfg == nil {
			var err error
			if cfg.CAFile, tlsCfg, tempDir, err = generateTLS(cfg.CAFile); err != nil {
				return nil, err
			}
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	lis, err := listen(cfg.Addr, cfg.Insecure)
	if errors.Is(err, ErrPlaintextOffLoopback) {
		removeTempDir(tempDir)
		return nil, fmt.Errorf("serve the Pub/Sub API in plaintext: %w", err)
	}
	if err != nil {
		removeTempDir(tempDir)
		return nil, fmt.Errorf("listen on %s: %w (choose another --pubsub-addr)", cfg.Addr, err)
	}
	conns := trackConns(lis)
	srv := grpc.NewServer(opts...)
	eventbusv1.RegisterPubSubServer(srv, newPubSubService(tenants, conns, cfg.Keepalive))
	s := &PubSubServer{grpc: srv, conns: conns, tempDir: tempDir, done: make(chan struct{})}
	if !cfg.Insecure {
		s.caFile = cfg.CAFile
	}
	go func() {
		defer close(s.done)
		_ = srv.Serve(conns)
	}()
	return s, nil
}

// MaxStreamsPerConnection is the real service's limit of concurrent
// streams on one HTTP/2 connection (reference §2.8).
const MaxStreamsPerConnection = 100

// PubSubServerOptions are the server settings of the simulated endpoint:
// HTTP/2 keepalive pings are accepted every 30 s or slower (grpc's default
// policy would answer a client's 60 s pings with GOAWAY too_many_pings),
// receives are capped like the real service's 4 MB publish limit, and at
// most MaxStreamsPerConnection streams run on one connection: the server
// advertises it in SETTINGS_MAX_CONCURRENT_STREAMS, so grpc-go clients
// queue a 101st stream until one ends, and a stream opened beyond it
// anyway is reset with REFUSED_STREAM, as HTTP/2 prescribes.
func PubSubServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(MaxStreamsPerConnection),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 30 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(4 << 20),
	}
}

// RegisterPubSub adds the service to a caller's grpc.Server (for example one
// serving a bufconn listener). Connection-reset faults need StartPubSub.
// It panics on a backend whose org ID is not 18 characters, a bug of the
// test that registers it.
func RegisterPubSub(srv *grpc.Server, backend PubSubBackend, keepalive time.Duration) {
	tenants, err := newTenantSet([]PubSubBackend{backend})
	if err != nil {
		panic(err)
	}
	eventbusv1.RegisterPubSubServer(srv, newPubSubService(tenants, trackConns(nil), keepalive))
}

func newPubSubService(tenants *tenantSet, conns *connTracker, keepalive time.Duration) *pubSubService {
	if keepalive <= 0 {
		keepalive = DefaultKeepalive
	}
	return &pubSubService{tenants: tenants, conns: conns, keepalive: keepalive}
}

// Addr is the host:port the service listens on.
func (s *PubSubServer) Addr() string { return s.conns.Addr().String() }

// CAFile is the CA certificate clients should trust ("" when plaintext).
func (s *PubSubServer) CAFile() string { return s.caFile }

// ResetConnections closes every client connection now.
func (s *PubSubServer) ResetConnections() { s.conns.resetAll() }

// Close stops the server, ends every stream and removes the CA file it
// generated (a CAFile the caller chose stays).
func (s *PubSubServer) Close() {
	s.grpc.Stop()
	<-s.done
	removeTempDir(s.tempDir)
}
