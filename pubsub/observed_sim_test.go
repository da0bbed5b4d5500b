package pubsub_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
)

// observedSim serves the simulator's Pub/Sub service over bufconn behind a
// gRPC interceptor that records what crosses the wire on each Subscribe
// stream: the first request's credits, the latest_replay_id of every
// keepalive, and whether an earlier stream was still open when it opened.
// The simulator itself stays untouched.
type observedSim struct {
	org    *sfsim.Org
	bus    *sfsim.Bus
	tokens *sfsim.Tokens
	faults *sfsim.Faults
	lis    *bufconn.Listener

	mu      sync.Mutex
	streams []*observedStream
}

type observedStream struct {
	ctx        context.Context // the server side of the stream; done once it ended
	liveAtOpen int             // earlier streams not yet ended when this one opened

	firstSeen      bool
	topic          string
	firstRequested int32
	keepalives     [][]byte // latest_replay_id of each response without events
}

func startObservedSim(t testing.TB, orgCfg sfsim.Config, keepalive time.Duration) *observedSim {
	t.Helper()
	bus := sfsim.NewBus(nil, 0)
	org, err := sfsim.NewOrg(orgCfg, nil, bus)
	if err != nil {
		t.Fatal(err)
	}
	o := &observedSim{org: org, bus: bus, tokens: sfsim.NewTokens(sfsim.SystemClock{}, org.ID()), faults: &sfsim.Faults{}, lis: bufconn.Listen(4 << 20)}
	srv := grpc.NewServer(append(sfsim.PubSubServerOptions(), grpc.ChainStreamInterceptor(o.intercept))...)
	sfsim.RegisterPubSub(srv, sfsim.PubSubBackend{OrgID: org.ID(), InstanceURL: sfsim.DefaultInstanceURL, Topics: org, Bus: bus, Tokens: o.tokens, Faults: o.faults}, keepalive)
	go func() { _ = srv.Serve(o.lis) }()
	t.Cleanup(srv.Stop)
	return o
}

func (o *observedSim) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if info.FullMethod != eventbusv1.PubSub_Subscribe_FullMethodName {
		return handler(srv, ss)
	}
	rec := &observedStream{ctx: ss.Context()}
	o.mu.Lock()
	for _, earlier := range o.streams {
		if earlier.ctx.Err() == nil {
			rec.liveAtOpen++
		}
	}
	o.streams = append(o.streams, rec)
	o.mu.Unlock()
	return handler(srv, &observingStream{ServerStream: ss, sim: o, rec: rec})
}

type observingStream struct {
	grpc.ServerStream
	sim *observedSim
	rec *observedStream
}

func (s *observingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if req, ok := m.(*eventbusv1.FetchRequest); ok && err == nil {
		s.sim.mu.Lock()
		if !s.rec.firstSeen {
			s.rec.firstSeen, s.rec.topic, s.rec.firstRequested = true, req.GetTopicName(), req.GetNumRequested()
		}
		s.sim.mu.Unlock()
	}
	return err
}

func (s *observingStream) SendMsg(m any) error {
	if resp, ok := m.(*eventbusv1.FetchResponse); ok && len(resp.GetEvents()) == 0 {
		s.sim.mu.Lock()
		s.rec.keepalives = append(s.rec.keepalives, bytes.Clone(resp.GetLatestReplayId()))
		s.sim.mu.Unlock()
	}
	return s.ServerStream.SendMsg(m)
}

// snapshot copies the records of every Subscribe stream so far.
func (o *observedSim) snapshot() []observedStream {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]observedStream, len(o.streams))
	for i, s := range o.streams {
		out[i] = *s
		out[i].keepalives = slices.Clone(s.keepalives)
	}
	return out
}

func (o *observedSim) client(t testing.TB, creds salesforce.SessionSource, tune func(*pubsub.Config)) *pubsub.Client {
	t.Helper()
	cfg := pubsub.Config{
		Endpoint:       "passthrough:///bufnet",
		Plaintext:      true,
		Dialer:         func(ctx context.Context, _ string) (net.Conn, error) { return o.lis.DialContext(ctx) },
		BackoffInitial: 10 * time.Millisecond,
		BackoffMax:     100 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if tune != nil {
		tune(&cfg)
	}
	if creds == nil {
		creds = o.staticCredentials()
	}
	c, err := pubsub.NewClient(cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (o *observedSim) staticCredentials() salesforce.StaticSession {
	return salesforce.StaticSession{AccessToken: o.tokens.Issue(), InstanceURL: sfsim.DefaultInstanceURL, TenantID: o.org.ID()}
}

func (o *observedSim) createCases(t testing.TB, n int) []string {
	t.Helper()
	return createCasesIn(t, o.org, n)
}
