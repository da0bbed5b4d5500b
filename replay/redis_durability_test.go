package replay_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// openPrivate opens a RedisStore through Open on a private server.
func openPrivate(t *testing.T, r *privateRedis) replay.Store {
	t.Helper()
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + r.addr, KeyPrefix: testPrefix(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// readCheckpointAfterRestart polls until the store answers again (the
// client re-dials by itself) and returns what it reads.
func readCheckpointAfterRestart(t *testing.T, store replay.Store) (replay.Checkpoint, error) {
	t.Helper()
	var cp replay.Checkpoint
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for {
		cp, err = store.Checkpoint(t.Context(), "00Dorg", "/data/CaseChangeEvent")
		if err == nil || errors.Is(err, replay.ErrNotFound) || errors.Is(err, replay.ErrCheckpointVanished) {
			return cp, err
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis did not come back: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRedisCheckpointSurvivesARestartWithAppendOnlyFsyncAlways(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		stop func(r *privateRedis)
	}{
		{"after a SHUTDOWN without snapshot", (*privateRedis).shutdown},
		{"after kill -9", (*privateRedis).kill9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startPrivateRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
			store := openPrivate(t, r)
			ctx := t.Context()
			lease, err := store.AcquireLease(ctx, "00Dorg", "/data/CaseChangeEvent", "a", time.Minute)
			noErr(t, "AcquireLease", err)
			replayID := []byte{0x00, 0xFF, 0x10, 0x00}
			noErr(t, "SaveCheckpoint", store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: replayID}))

			c.stop(r)
			r.start()

			got, err := readCheckpointAfterRestart(t, store)
			noErr(t, "Checkpoint after restart", err)
			if !bytes.Equal(got.ReplayID, replayID) || got.Token != lease.Token {
				t.Errorf("after restart: %x with token %d, want %x with %d", got.ReplayID, got.Token, replayID, lease.Token)
			}
			_, err = store.RenewLease(ctx, lease)
			noErr(t, "RenewLease after restart (the lease survived)", err)
			noErr(t, "ReleaseLease", store.ReleaseLease(ctx, lease))
			next, err := store.AcquireLease(ctx, "00Dorg", "/data/CaseChangeEvent", "b", time.Minute)
			noErr(t, "AcquireLease", err)
			if next.Token <= lease.Token {
				t.Errorf("token after restart %d, want more than %d", next.Token, lease.Token)
			}
		})
	}
}

func TestRedisWithoutPersistenceForgetsTheCheckpointAndItsMarker(t *testing.T) {
	t.Parallel()
	// The documented limit: a Redis that loses everything also loses the
	// "ever checkpointed" marker, so the topic reads as never seen. The
	// pipeline must start from its configured position, never LATEST.
	r := startPrivateRedis(t, "--appendonly", "no", "--save", "")
	store := openPrivate(t, r)
	lease, err := store.AcquireLease(t.Context(), "00Dorg", "/data/CaseChangeEvent", "a", time.Minute)
	noErr(t, "AcquireLease", err)
	noErr(t, "SaveCheckpoint", store.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: []byte{1}}))
	r.kill9()
	r.start()
	_, err = readCheckpointAfterRestart(t, store)
	wantErr(t, "Checkpoint after data loss", err, replay.ErrNotFound)
}

func TestRedisCheckpointDeletedBehindOurBackReadsAsVanished(t *testing.T) {
	t.Parallel()
	store, prefix := newRedisStore(t)
	ctx := t.Context()
	lease, err := store.AcquireLease(ctx, "00Dorg", "/data/CaseChangeEvent", "a", time.Minute)
	noErr(t, "AcquireLease", err)
	noErr(t, "SaveCheckpoint", store.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}))
	client := newRedisClient(redisAddr())
	defer client.Close()
	deleted, err := client.Del(ctx, prefix+"{00Dorg}:checkpoint:/data/CaseChangeEvent").Result()
	noErr(t, "DEL", err)
	if deleted != 1 {
		t.Fatalf("the checkpoint is not at the documented key")
	}
	_, err = store.Checkpoint(ctx, "00Dorg", "/data/CaseChangeEvent")
	wantErr(t, "Checkpoint", err, replay.ErrCheckpointVanished)
	_, err = store.Checkpoint(ctx, "00Dorg", "/data/OtherChangeEvent")
	wantErr(t, "Checkpoint of a topic never written", err, replay.ErrNotFound)
}

func TestFileStoreCheckpointSurvivesReopening(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/state.db"
	store, err := replay.OpenFileStore(path, replay.FileOptions{})
	noErr(t, "OpenFileStore", err)
	lease, err := store.AcquireLease(t.Context(), "00Dorg", "/data/CaseChangeEvent", "a", time.Minute)
	noErr(t, "AcquireLease", err)
	noErr(t, "SaveCheckpoint", store.SaveCheckpoint(t.Context(), lease, replay.Checkpoint{ReplayID: []byte{0, 0xFF}}))

	_, err = replay.OpenFileStore(path, replay.FileOptions{LockTimeout: 20 * time.Millisecond})
	if err == nil {
		t.Fatal("a second open of the same file succeeded; want it locked out")
	}
	noErr(t, "Close", store.Close())

	store, err = replay.OpenFileStore(path, replay.FileOptions{})
	noErr(t, "reopen", err)
	defer store.Close()
	got, err := store.Checkpoint(t.Context(), "00Dorg", "/data/CaseChangeEvent")
	noErr(t, "Checkpoint", err)
	if !bytes.Equal(got.ReplayID, []byte{0, 0xFF}) {
		t.Errorf("ReplayID = %x", got.ReplayID)
	}
	next, err := store.AcquireLease(t.Context(), "00Dorg", "/data/CaseChangeEvent", "b", time.Minute)
	noErr(t, "AcquireLease", err)
	if next.Token <= lease.Token {
		t.Errorf("token after reopening %d, want more than %d", next.Token, lease.Token)
	}
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}
