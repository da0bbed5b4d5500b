package replay_test

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sfcdc/sfcdc/replay"
)

func TestRedisValuesWrittenByOthersAreReportedNotTrusted(t *testing.T) {
	t.Parallel()
	store, prefix := newRedisStore(t)
	client := newRedisClient(redisAddr())
	defer client.Close()
	ctx := t.Context()
	key := func(rest string) string { return prefix + "{00Dorg}:" + rest }

	t.Run("an undecodable hash counts as absent so the comment is sent again", func(t *testing.T) {
		noErr(t, "SaveHashes", store.SaveHashes(ctx, "00Dorg", map[string]replay.Hashes{"good": {Content: "c"}}))
		noErr(t, "HSET", client.HSet(ctx, key("hashes"), "bad", "\x09garbage").Err())
		got, err := store.Hashes(ctx, "00Dorg", []string{"good", "bad"})
		noErr(t, "Hashes", err)
		if _, ok := got["bad"]; ok || got["good"].Content != "c" {
			t.Errorf("Hashes = %q", got)
		}
	})
	t.Run("a checkpoint with a broken token is corrupt, not missing", func(t *testing.T) {
		noErr(t, "HSET", client.HSet(ctx, key("checkpoint:/data/T"), "replay_id", "\x01", "token", "x").Err())
		_, err := store.Checkpoint(ctx, "00Dorg", "/data/T")
		wantErr(t, "Checkpoint", err, replay.ErrCorrupt)
	})
	t.Run("a status with a broken time is corrupt", func(t *testing.T) {
		noErr(t, "HSET", client.HSet(ctx, key("status:/data/T"), "state", "streaming", "updated_at", "yesterday").Err())
		_, err := store.Status(ctx, "00Dorg", "/data/T")
		wantErr(t, "Status", err, replay.ErrCorrupt)
	})
	t.Run("a lease value in a foreign format is corrupt", func(t *testing.T) {
		noErr(t, "SET", client.Set(ctx, key("lease:/data/U"), "someone", time.Minute).Err())
		_, err := store.AcquireLease(ctx, "00Dorg", "/data/U", "a", time.Minute)
		wantErr(t, "AcquireLease", err, replay.ErrCorrupt)
	})
}

func TestFileStoreUndecodableHashCountsAsAbsent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	store, err := replay.OpenFileStore(path, replay.FileOptions{})
	noErr(t, "OpenFileStore", err)
	noErr(t, "SaveHashes", store.SaveHashes(t.Context(), "00Dorg", map[string]replay.Hashes{"good": {Content: "c"}}))
	noErr(t, "Close", store.Close())

	db, err := bolt.Open(path, 0o600, nil)
	noErr(t, "bolt.Open", err)
	noErr(t, "corrupt", db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("org:00Dorg")).Bucket([]byte("hashes")).Put([]byte("bad"), []byte{9})
	}))
	noErr(t, "bolt.Close", db.Close())

	store, err = replay.OpenFileStore(path, replay.FileOptions{})
	noErr(t, "reopen", err)
	defer store.Close()
	got, err := store.Hashes(t.Context(), "00Dorg", []string{"good", "bad"})
	noErr(t, "Hashes", err)
	if _, ok := got["bad"]; ok || got["good"].Content != "c" {
		t.Errorf("Hashes = %q", got)
	}
}
