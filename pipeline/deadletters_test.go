package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// deadLetterRetrier is a retrier of the world's org for objects, on clock.
func (w *world) deadLetterRetrier(t *testing.T, objects []mapper.ObjectMapping, clock deadletter.Clock) *deadletter.Retrier {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	up := uploader.Config{BaseURL: w.CMURL, Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource,
		Linger: time.Millisecond, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, ShutdownTimeout: time.Second}
	fill, err := backfill.New(backfill.Config{}, backfill.Options{Salesforce: w.Salesforce, Mapper: m, Store: w.Store, Org: w.Sim.Org.ID(), Upload: up})
	if err != nil {
		t.Fatal(err)
	}
	r, err := deadletter.New(deadletter.Config{Org: w.Sim.Org.ID(), Holder: "test-" + t.Name(), LeaseTTL: time.Second},
		deadletter.Options{Store: w.Store, Records: w.Salesforce, Mapper: m, Upload: up, Backfill: fill, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Acceptance: the running daemon retries a comment CM rejected (422) by
// itself once CM takes it again, 5 minutes (of a clock the test moves)
// after the dead letter was written, and the dead letter goes.
func TestADeadLetterCMRejectedIsRetriedByTheRunningDaemonAfterCMHeals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Gate.Reject("REJECTED-FOR-NOW")
	clock := deadletter.NewManualClock(time.Now())
	retrier := w.deadLetterRetrier(t, casesOnly, clock)
	r := w.startDaemonWith(t, casesOnly, daemonTuning{
		daemon:  streamOnly,
		options: func(o *pipeline.Options) { o.DeadLetters = retrier },
	})
	bad, _ := w.create(t, "Case", sfsim.Values{"Subject": "REJECTED-FOR-NOW", "Status": "New"})
	eventually(t, "the rejected comment is dead-lettered", func() bool {
		n, err := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID())
		return err == nil && n == 1
	})
	eventually(t, "the retrier waits for the dead letter to fall due", func() bool { return clock.Waiters() > 0 })
	if w.CMHas("Case", bad) {
		t.Fatal("CM holds the comment it rejected")
	}

	w.Gate.Accept("REJECTED-FOR-NOW")
	clock.Advance(6 * time.Minute)
	eventually(t, "the retried comment lands in CM and its dead letter goes", func() bool {
		n, err := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID())
		return err == nil && n == 0 && w.CMHas("Case", bad)
	})
	r.stop(t)
}

// Acceptance: while a slow store takes seconds to write each dead letter,
// the comments CM accepts go on landing at their pace: every one of them
// is in CM before the first dead-letter write completes. (With one request
// in flight at a time, a write made from the uploader's outcome callback
// would hold every later upload behind it.)
func TestASlowDeadLetterWriteDoesNotHoldBackTheOtherUploads(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	w.Gate.Reject("INVALID-COMMENT")
	slow := w.slowStore(t, time.Second)
	const good = 20
	var goodIDs []string
	var idsMu sync.Mutex
	landedAtFirstWrite := -1
	store := &slowDeadLetterStore{RedisStore: w.redisStore(t), slow: slow, stored: func() {
		idsMu.Lock()
		defer idsMu.Unlock()
		if landedAtFirstWrite < 0 {
			landedAtFirstWrite = 0
			for _, id := range goodIDs {
				if w.CMHas("Case", id) {
					landedAtFirstWrite++
				}
			}
		}
	}}
	r := w.startDaemonWith(t, casesOnly, daemonTuning{
		daemon:  streamOnly,
		upload:  func(c *uploader.Config) { c.MaxConcurrentRequests, c.MaxBatchComments = 1, 1 },
		options: func(o *pipeline.Options) { o.Store = store },
	})
	bad, badReplay := w.create(t, "Case", sfsim.Values{"Subject": "INVALID-COMMENT", "Status": "New"})
	idsMu.Lock()
	for i := range good {
		id, _ := w.create(t, "Case", caseValues(i))
		goodIDs = append(goodIDs, id)
	}
	idsMu.Unlock()
	eventually(t, "every accepted comment lands", func() bool { return w.CMHas("Case", goodIDs...) })
	eventually(t, "the dead letter is stored", func() bool {
		idsMu.Lock()
		defer idsMu.Unlock()
		return landedAtFirstWrite >= 0
	})
	r.stop(t)
	if landedAtFirstWrite != good {
		t.Errorf("%d of the %d accepted comments were in CM when the first dead letter was stored, want all", landedAtFirstWrite, good)
	}
	letters, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	// A write that timed out after Redis applied it is written again: more
	// than one is possible, all of the rejected record.
	if len(letters) == 0 {
		t.Fatal("no dead letter stored")
	}
	for _, d := range letters {
		if d.RecordID != bad || !bytes.Equal(d.ReplayID, badReplay) {
			t.Errorf("dead letter %+v, want the one of %s", d, bad)
		}
	}
}

// streamOnly streams topics from EARLIEST without an initial backfill, so
// only the stream writes dead letters.
func streamOnly(c *pipeline.DaemonConfig) { c.Start = pipeline.NewTopicEarliest }

// slowDeadLetterStore is the world's store, except that dead letters are
// written through a second client of the same Redis reached over a slow
// link, and stored is told when each write completed.
type slowDeadLetterStore struct {
	*replay.RedisStore
	slow   *replay.RedisStore
	stored func()
}

func (s *slowDeadLetterStore) AddDeadLetter(ctx context.Context, org string, d replay.DeadLetter) (string, error) {
	id, err := s.slow.AddDeadLetter(ctx, org, d)
	if err == nil {
		s.stored()
	}
	return id, err
}

// slowStore is a store over the world's Redis keys, reached through a
// proxy that holds back every answer of Redis by delay.
func (w *world) slowStore(t *testing.T, delay time.Duration) *replay.RedisStore {
	t.Helper()
	return w.proxiedStore(t, startProxy(t, simworld.RedisAddr(), delay))
}

// proxiedStore is a store over the world's Redis keys through p.
func (w *world) proxiedStore(t *testing.T, p *tcpProxy) *replay.RedisStore {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: p.addr, ContextTimeoutEnabled: true, DialTimeout: 2 * time.Second,
		ReadTimeout: 30 * time.Second, MaxRetries: -1})
	store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: w.KeyPrefix, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// tcpProxy forwards TCP connections to a target, holding back each chunk
// the target sends by delay; while down it cuts every connection.
type tcpProxy struct {
	addr   string
	target string
	delay  time.Duration
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

// startProxy starts a proxy to target; it stops at cleanup.
func startProxy(t *testing.T, target string, delay time.Duration) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), target: target, delay: delay}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := p.dial(client)
			if err != nil {
				_ = client.Close()
				continue
			}
			wg.Go(func() { _, _ = io.Copy(server, client); _ = server.Close() })
			wg.Go(func() { copySlowly(client, server, delay); _ = client.Close() })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		p.setDown(true)
		wg.Wait()
	})
	return p
}

// dial connects client's way to the target, unless the proxy is down.
func (p *tcpProxy) dial(client net.Conn) (net.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return nil, errors.New("proxy down")
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return nil, err
	}
	p.conns = append(p.conns, client, server)
	return server, nil
}

// setDown cuts every connection and refuses new ones (true), or lets
// them through again (false).
func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.conns = nil
	}
}

// copySlowly copies src to dst, each chunk after delay.
func copySlowly(dst io.Writer, src io.Reader, delay time.Duration) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// While the store refuses to write a dead letter, the worker keeps trying
// without holding back the other uploads, and the checkpoint stays before
// the dead-lettered event until the dead letter is stored.
func TestADeadLetterTheStoreRefusesIsWrittenAgainAndTheCheckpointWaitsForIt(t *testing.T) {
	t.Parallel()
	w := newRedisWorld(t)
	w.Gate.Reject("INVALID-COMMENT")
	proxy := startProxy(t, simworld.RedisAddr(), 0)
	proxy.setDown(true)
	store := &slowDeadLetterStore{RedisStore: w.redisStore(t), slow: w.proxiedStore(t, proxy), stored: func() {}}
	const topic = "/data/CaseChangeEvent"
	r := w.startDaemonWith(t, casesOnly, daemonTuning{daemon: streamOnly, options: func(o *pipeline.Options) { o.Store = store }})
	bad, badReplay := w.create(t, "Case", sfsim.Values{"Subject": "INVALID-COMMENT", "Status": "New"})
	goodIDs := w.createCases(t, 0, 5)
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())
	eventually(t, "the accepted comments land while the store refuses the dead letter", func() bool { return w.CMHas("Case", goodIDs...) })
	// Give a checkpoint that wrongly passed the event time to show.
	time.Sleep(300 * time.Millisecond)
	if cp := w.Checkpoint(t, topic); bytes.Equal(cp, last) {
		t.Fatal("the checkpoint passed an event whose dead letter is not stored")
	}
	if n, _ := w.Store.CountDeadLetters(t.Context(), w.Sim.Org.ID()); n != 0 {
		t.Fatalf("%d dead letters stored through a store that is down", n)
	}

	proxy.setDown(false)
	eventually(t, "the checkpoint passes the event once its dead letter is stored", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)
	letters, err := w.Store.ListDeadLetters(t.Context(), w.Sim.Org.ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || letters[0].RecordID != bad || !bytes.Equal(letters[0].ReplayID, badReplay) {
		t.Fatalf("dead letters %+v, want one of %s", letters, bad)
	}
}
