package replay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

// TestRedisSentinelStoreConforms runs the suite through go-redis's
// FailoverClient: Open asks the Sentinel for the master and talks to it.
func TestRedisSentinelStoreConforms(t *testing.T) {
	t.Parallel()
	master := startPrivateRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	sentinel := startPrivateSentinel(t, master)
	replaytest.Run(t, func(t *testing.T) replay.Store {
		store, err := replay.Open(t.Context(), replay.Config{
			RedisAddrs: []string{sentinel.addr}, RedisMasterName: "mymaster", KeyPrefix: testPrefix(t),
		})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { store.Close() })
		return store
	})
}

// A Sentinel with requirepass answers only clients that authenticate:
// redis_sentinel_password is what lets the store find the master, and a
// store without it fails to open instead of working on a stale address.
func TestAPasswordProtectedSentinelNeedsItsPassword(t *testing.T) {
	t.Parallel()
	master := startPrivateRedis(t, "--save", "")
	const password = "sentinel-secret-7a1c"
	sentinel := startPrivateSentinelWith(t, master, password)
	cfg := replay.Config{RedisAddrs: []string{sentinel.addr}, RedisMasterName: "mymaster", KeyPrefix: testPrefix(t)}
	if store, err := replay.Open(t.Context(), cfg); err == nil {
		store.Close()
		t.Fatal("opened a store through a password-protected Sentinel without its password")
	}
	cfg.RedisSentinelPassword = password
	store, err := replay.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open with the Sentinel password: %v", err)
	}
	defer store.Close()
	if err := store.SaveWatermark(t.Context(), "00D000000000001AAA", "Case", replay.Watermark{Modstamp: time.Now().UTC()}); err != nil {
		t.Fatalf("write through the Sentinel's master: %v", err)
	}
	if strings.Contains(cfg.String(), password) {
		t.Fatalf("Config.String shows the Sentinel password: %s", cfg.String())
	}
}
