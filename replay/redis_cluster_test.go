package replay_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster maps keys to slots
// with (Redis Cluster specification, "Keys distribution model").
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot applies the spec's hash tag rule: if the key has a '{' followed
// later by a '}' with something between, only that part is hashed.
func keySlot(key string) uint16 {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return crc16([]byte(key)) % 16384
}

func TestKeySlotMatchesTheClusterSpecExamples(t *testing.T) {
	t.Parallel()
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#x, want 0x31c3 (the spec's check value)", got)
	}
	if keySlot("{user1000}.following") != keySlot("{user1000}.followers") {
		t.Error("keys with the same hash tag land in different slots")
	}
	if keySlot("foo{}{bar}") != crc16([]byte("foo{}{bar}"))%16384 {
		t.Error("an empty tag must hash the whole key")
	}
}

// touchEveryKey writes one item of every kind for org, so each key of the
// documented layout exists.
func touchEveryKey(t *testing.T, s replay.Store, org string) {
	t.Helper()
	ctx := t.Context()
	lease, err := s.AcquireLease(ctx, org, "/data/CaseChangeEvent", "a", time.Minute)
	noErr(t, "AcquireLease", err)
	noErr(t, "SaveCheckpoint", s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}))
	noErr(t, "SaveWatermark", s.SaveWatermark(ctx, org, "Case", replay.Watermark{Modstamp: time.Now()}))
	noErr(t, "SaveHashes", s.SaveHashes(ctx, org, map[string]replay.Hashes{"c1": {Content: "x"}}))
	_, err = s.AddDeadLetter(ctx, org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", RecordID: "r", Reason: "x"})
	noErr(t, "AddDeadLetter", err)
	noErr(t, "SaveStatus", s.SaveStatus(ctx, org, "/data/CaseChangeEvent", replay.Status{State: replay.StateStreaming}))
}

func TestRedisKeysOfOneOrgShareOneClusterSlotAndFollowTheDocumentedLayout(t *testing.T) {
	t.Parallel()
	store, prefix := newRedisStore(t)
	const org = "00D5e000000Abcd"
	touchEveryKey(t, store, org)
	client := newRedisClient(redisAddr())
	defer client.Close()
	keys := scanKeys(t, client, prefix)
	sort.Strings(keys)
	want := []string{
		"checkpoint:/data/CaseChangeEvent", "checkpointed", "deadletter:1", "deadletters", "deadletters:seq",
		"fence:/data/CaseChangeEvent", "hashes", "lease:/data/CaseChangeEvent", "status:/data/CaseChangeEvent",
		"statuses", "watermark:Case",
	}
	if len(keys) != len(want) {
		t.Fatalf("keys %q, want the %d documented ones", keys, len(want))
	}
	orgSlot := keySlot("{" + org + "}")
	for i, key := range keys {
		if key != prefix+"{"+org+"}:"+want[i] {
			t.Errorf("key %q, want %q", key, prefix+"{"+org+"}:"+want[i])
		}
		if slot := keySlot(key); slot != orgSlot {
			t.Errorf("key %q in slot %d, the org's slot is %d", key, slot, orgSlot)
		}
	}
}

// startPrivateCluster runs a one-node Redis Cluster owning all 16384
// slots: enough for Redis to enforce Cluster rules (CROSSSLOT, keys of Lua
// scripts in one slot) on every command the store sends.
func startPrivateCluster(t *testing.T) *privateRedis {
	t.Helper()
	r := startPrivateRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no")
	client := newRedisClient(r.addr)
	defer client.Close()
	ctx := t.Context()
	if err := client.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("assign slots: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := client.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %v %s", err, info)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRedisClusterStoreConforms(t *testing.T) {
	t.Parallel()
	r := startPrivateCluster(t)
	replaytest.Run(t, func(t *testing.T) replay.Store {
		store, err := replay.Open(t.Context(), replay.Config{
			RedisAddrs: []string{r.addr}, RedisCluster: true, KeyPrefix: testPrefix(t),
		})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { store.Close() })
		return store
	})

	t.Run("purge", func(t *testing.T) {
		replaytest.RunPurge(t, func(t *testing.T) replay.Store {
			store, err := replay.Open(t.Context(), replay.Config{
				RedisAddrs: []string{r.addr}, RedisCluster: true, KeyPrefix: testPrefix(t),
			})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { store.Close() })
			return store
		})
	})

	t.Run("our slot computation agrees with the cluster's", func(t *testing.T) {
		client := newRedisClient(r.addr)
		defer client.Close()
		for _, key := range []string{"sfcdc:{00D5e000000Abcd}:hashes", "plain-key", "sfcdc:{00Dx}:checkpoint:/data/{weird}"} {
			slot, err := client.ClusterKeySlot(context.Background(), key).Result()
			noErr(t, "CLUSTER KEYSLOT", err)
			if uint16(slot) != keySlot(key) {
				t.Errorf("slot of %q: cluster says %d, we say %d", key, slot, keySlot(key))
			}
		}
	})
}
