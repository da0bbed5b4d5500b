package registry_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/replay"
)

// redisStore is a store on the test Redis under a random prefix, and a
// reader of every value it holds (keys deleted at cleanup).
func redisStore(t *testing.T) (replay.Store, func() []string) {
	t.Helper()
	addr := os.Getenv("SFCDC_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "sfcdctest:registry:" + hex.EncodeToString(b) + ":"
	client := redis.NewClient(&redis.Options{Addr: addr})
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("no Redis at %s (%v): run ./scripts/test.sh or set SFCDC_TEST_REDIS_ADDR", addr, err)
	}
	store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	reader := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := reader.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			reader.Del(ctx, keys...)
		}
		reader.Close()
		store.Close()
	})
	values := func() []string {
		ctx := t.Context()
		keys, err := reader.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			switch reader.Type(ctx, k).Val() {
			case "string":
				out = append(out, reader.Get(ctx, k).Val())
			case "hash":
				for f, v := range reader.HGetAll(ctx, k).Val() {
					out = append(out, f, v)
				}
			}
		}
		return out
	}
	return store, values
}
