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

// everyOperation calls each Store method once and returns the errors.
func everyOperation(ctx context.Context, s replay.Store) map[string]error {
	lease := replay.Lease{Org: "00Dorg", Topic: "/data/T", Holder: "a", Token: 1, TTL: time.Second}
	errs := map[string]error{}
	_, errs["Checkpoint"] = s.Checkpoint(ctx, "00Dorg", "/data/T")
	errs["SaveCheckpoint"] = s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}})
	_, errs["AcquireLease"] = s.AcquireLease(ctx, "00Dorg", "/data/T", "a", time.Second)
	_, errs["RenewLease"] = s.RenewLease(ctx, lease)
	errs["ReleaseLease"] = s.ReleaseLease(ctx, lease)
	_, errs["Watermark"] = s.Watermark(ctx, "00Dorg", "Case")
	errs["SaveWatermark"] = s.SaveWatermark(ctx, "00Dorg", "Case", replay.Watermark{Modstamp: time.Now()})
	_, errs["Hashes"] = s.Hashes(ctx, "00Dorg", []string{"c"})
	errs["SaveHashes"] = s.SaveHashes(ctx, "00Dorg", map[string]replay.Hashes{"c": {}})
	errs["DeleteHashes"] = s.DeleteHashes(ctx, "00Dorg", []string{"c"})
	_, errs["AddDeadLetter"] = s.AddDeadLetter(ctx, "00Dorg", replay.DeadLetter{Topic: "t", RecordID: "r", Reason: "x"})
	_, errs["DeadLetter"] = s.DeadLetter(ctx, "00Dorg", "1")
	_, errs["ListDeadLetters"] = s.ListDeadLetters(ctx, "00Dorg", "", 10)
	errs["DeleteDeadLetter"] = s.DeleteDeadLetter(ctx, "00Dorg", "1")
	_, errs["PurgeDeadLetters"] = s.PurgeDeadLetters(ctx, "00Dorg")
	_, errs["CountDeadLetters"] = s.CountDeadLetters(ctx, "00Dorg")
	errs["SaveStatus"] = s.SaveStatus(ctx, "00Dorg", "/data/T", replay.Status{})
	_, errs["Status"] = s.Status(ctx, "00Dorg", "/data/T")
	_, errs["Statuses"] = s.Statuses(ctx, "00Dorg")
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
	r := startPrivateRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + r.addr, KeyPrefix: testPrefix(t), Timeout: 200 * time.Millisecond})
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
