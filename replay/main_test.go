package replay_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/replay"
)

func TestMain(m *testing.M) {
	// Dial failures are expected while private servers restart; go-redis
	// would print each one.
	redis.SetLogger(quietLogger{})
	goleak.VerifyTestMain(m)
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// redisAddr is the shared test Redis (scripts/test.sh sets the variable).
func redisAddr() string {
	if addr := os.Getenv("SFCDC_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// testPrefix returns a key prefix no other test uses.
func testPrefix(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "sfcdctest:" + hex.EncodeToString(b) + ":"
}

// newRedisClient connects to addr with timeouts suited to tests.
func newRedisClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, DialTimeout: 2 * time.Second,
	})
}

// newRedisStore returns a RedisStore on the shared Redis under a fresh
// prefix and deletes every key of that prefix at cleanup.
func newRedisStore(t testing.TB) (*replay.RedisStore, string) {
	t.Helper()
	prefix := testPrefix(t)
	client := newRedisClient(redisAddr())
	if err := client.Ping(t.Context()).Err(); err != nil {
		client.Close()
		t.Fatalf("no Redis at %s (%v): run ./scripts/test.sh or set SFCDC_TEST_REDIS_ADDR", redisAddr(), err)
	}
	store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deleteKeys(t, redisAddr(), prefix)
		store.Close()
	})
	return store, prefix
}

// deleteKeys removes every key starting with prefix.
func deleteKeys(t testing.TB, addr, prefix string) {
	client := newRedisClient(addr)
	defer client.Close()
	ctx := context.Background() // t.Context() is already cancelled in cleanups
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan test keys: %v", err)
		return
	}
	for start := 0; start < len(keys); start += 500 {
		if err := client.Del(ctx, keys[start:min(start+500, len(keys))]...).Err(); err != nil {
			t.Errorf("delete test keys: %v", err)
		}
	}
}

// scanKeys lists every key starting with prefix.
func scanKeys(t testing.TB, client redis.UniversalClient, prefix string) []string {
	t.Helper()
	var keys []string
	iter := client.Scan(t.Context(), 0, prefix+"*", 1000).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return keys
}

// newFileStore returns a FileStore in a fresh temporary directory.
func newFileStore(t testing.TB) *replay.FileStore {
	t.Helper()
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
