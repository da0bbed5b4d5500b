package replay_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

// TestRedisSentinelStoreConforms runs the suite through go-redis's
// FailoverClient: Open asks the Sentinel for the master and talks to it.
func TestRedisSentinelStoreConforms(t *testing.T) {
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
