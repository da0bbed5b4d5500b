package replay_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/replay"
)

// blackHole accepts connections and never answers, like a Redis stuck or a
// network path that drops replies.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(io.Discard, c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// everyOperation calls each Store method once and returns the errors. The
// calls run side by side: each still meets the unavailable server on its
// own, and the test waits for the slowest timeout instead of the sum of
// nineteen of them (which took about 2 s per unavailable server, one
// after the other).
func everyOperation(ctx context.Context, s replay.Store) map[string]error {
	lease := replay.Lease{Org: "00Dorg", Topic: "/data/T", Holder: "a", Token: 1, TTL: time.Second}
	ops := map[string]func() error{
		"Checkpoint":     func() error { _, err := s.Checkpoint(ctx, "00Dorg", "/data/T"); return err },
		"SaveCheckpoint": func() error { return s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}) },
		"AcquireLease":   func() error { _, err := s.AcquireLease(ctx, "00Dorg", "/data/T", "a", time.Second); return err },
		"RenewLease":     func() error { _, err := s.RenewLease(ctx, lease); return err },
		"ReleaseLease":   func() error { return s.ReleaseLease(ctx, lease) },
		"Watermark":      func() error { _, err := s.Watermark(ctx, "00Dorg", "Case"); return err },
		"SaveWatermark":  func() error { return s.SaveWatermark(ctx, "00Dorg", "Case", replay.Watermark{Modstamp: time.Now()}) },
		"Hashes":         func() error { _, err := s.Hashes(ctx, "00Dorg", []string{"c"}); return err },
		"SaveHashes":     func() error { return s.SaveHashes(ctx, "00Dorg", map[string]replay.Hashes{"c": {}}) },
		"DeleteHashes":   func() error { return s.DeleteHashes(ctx, "00Dorg", []string{"c"}) },
		"AddDeadLetter": func() error {
			_, err := s.AddDeadLetter(ctx, "00Dorg", replay.DeadLetter{Topic: "t", RecordID: "r", Reason: "x"})
			return err
		},
		"DeadLetter":       func() error { _, err := s.DeadLetter(ctx, "00Dorg", "1"); return err },
		"ListDeadLetters":  func() error { _, err := s.ListDeadLetters(ctx, "00Dorg", "", 10); return err },
		"DeleteDeadLetter": func() error { return s.DeleteDeadLetter(ctx, "00Dorg", "1") },
		"PurgeDeadLetters": func() error { _, err := s.PurgeDeadLetters(ctx, "00Dorg"); return err },
		"CountDeadLetters": func() error { _, err := s.CountDeadLetters(ctx, "00Dorg"); return err },
		"SaveStatus":       func() error { return s.SaveStatus(ctx, "00Dorg", "/data/T", replay.Status{}) },
		"Status":           func() error { _, err := s.Status(ctx, "00Dorg", "/data/T"); return err },
		"Statuses":         func() error { _, err := s.Statuses(ctx, "00Dorg"); return err },
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := map[string]error{}
	for name, op := range ops {
		wg.Go(func() {
			err := op()
			mu.Lock()
			defer mu.Unlock()
			errs[name] = err
		})
	}
	wg.Wait()
	return errs
}

// returnsPromptly runs fn and fails the test if it has not returned after
// a generous bound: a guard against hanging, not a timing assertion.
func returnsPromptly[T any](t *testing.T, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(time.Minute):
		t.Fatal("operation hung")
		panic("unreachable")
	}
}

func TestRedisUnavailableMakesEveryOperationFailInsteadOfHanging(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"when nothing listens", freeLoopbackAddrT},
		{"when the server never answers", blackHole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := redis.NewClient(&redis.Options{Addr: c.addr(t), ContextTimeoutEnabled: true, DialTimeout: 100 * time.Millisecond})
			store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: testPrefix(t), Timeout: 100 * time.Millisecond})
			noErr(t, "NewRedisStore", err)
			defer store.Close()
			errs := returnsPromptly(t, func() map[string]error { return everyOperation(t.Context(), store) })
			for op, err := range errs {
				if err == nil {
					t.Errorf("%s succeeded without Redis", op)
				}
			}
		})
	}
}

func freeLoopbackAddrT(t *testing.T) string { return freeLoopbackAddr(t) }

func TestOpenFailsWhenRedisDoesNotAnswer(t *testing.T) {
	t.Parallel()
	cfg := replay.Config{RedisURL: "redis://" + freeLoopbackAddr(t), Timeout: 100 * time.Millisecond}
	err := returnsPromptly(t, func() error {
		store, err := replay.Open(t.Context(), cfg)
		if err == nil {
			store.Close()
		}
		return err
	})
	if err == nil {
		t.Fatal("Open succeeded without Redis")
	}
}

func TestRedisOperationsResumeWhenRedisComesBack(t *testing.T) {
	t.Parallel()
	r := startPrivateRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	// A second per operation (it was 200 ms, which the ping of Open
	// overran on a loaded machine): a write to the killed Redis fails at
	// once all the same (connection refused), and the loop below retries.
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + r.addr, KeyPrefix: testPrefix(t), Timeout: time.Second})
	noErr(t, "Open", err)
	defer store.Close()
	ctx := t.Context()
	lease, err := store.AcquireLease(ctx, "00Dorg", "/data/T", "a", time.Minute)
	noErr(t, "AcquireLease", err)

	r.kill9()
	if err := store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}); err == nil {
		t.Fatal("SaveCheckpoint succeeded while Redis was down")
	}
	r.start()
	deadline := time.Now().Add(30 * time.Second)
	for store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{2}}) != nil {
		if time.Now().After(deadline) {
			t.Fatal("writes did not resume")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := store.Checkpoint(ctx, "00Dorg", "/data/T")
	noErr(t, "Checkpoint", err)
	if got.ReplayID[0] != 2 {
		t.Errorf("ReplayID = %x", got.ReplayID)
	}
}
