package simworld

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/replay"
)

// RedisAddr is the shared test Redis: SFCDC_TEST_REDIS_ADDR, else
// 127.0.0.1:6379 (scripts/test.sh sets the variable).
func RedisAddr() string {
	if addr := os.Getenv("SFCDC_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// NewRedisStore is a RedisStore on the test Redis under a key prefix no
// other test uses, with its client and that prefix; the keys are deleted
// and the store closed at cleanup. It fails the test at once, naming
// SFCDC_TEST_REDIS_ADDR, when no Redis answers.
func NewRedisStore(t testing.TB) (*replay.RedisStore, *redis.Client, string) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "sfcdctest:" + hex.EncodeToString(b) + ":"
	client := redis.NewClient(&redis.Options{Addr: RedisAddr(), ContextTimeoutEnabled: true, DialTimeout: 2 * time.Second})
	if err := client.Ping(context.Background()).Err(); err != nil {
		_ = client.Close()
		t.Fatalf("no Redis at %s (%v): this test exercises Redis; run ./scripts/test.sh or set SFCDC_TEST_REDIS_ADDR", RedisAddr(), err)
	}
	store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: prefix})
	if err != nil {
		_ = client.Close()
		t.Fatalf("open the Redis store: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(client, prefix)
		store.Close()
	})
	return store, client, prefix
}

// deleteKeys removes every key under prefix, so no test leaves state in
// the shared Redis.
func deleteKeys(client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		client.Del(ctx, keys...)
	}
}
