package replay_test

import (
	"path/filepath"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

func openFileStoreForHashes(t *testing.T) *replay.FileStore {
	t.Helper()
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatalf("open the file store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func digestPair(content, metadata byte) mapper.Hashes {
	var h mapper.Hashes
	for i := range h.Content {
		h.Content[i] = content
	}
	for i := range h.Metadata {
		h.Metadata[i] = metadata
	}
	return h
}

func TestOrgHashesGiveTheUploaderBackWhatItSavedForItsOrgOnly(t *testing.T) {
	t.Parallel()
	store := openFileStoreForHashes(t)
	var mine uploader.HashStore = replay.OrgHashes{Store: store, Org: "00D000000000001AAA"}
	var theirs uploader.HashStore = replay.OrgHashes{Store: store, Org: "00D000000000002AAA"}
	ctx := t.Context()

	a, b := digestPair(1, 2), digestPair(3, 4)
	if err := mine.Put(ctx, map[string]mapper.Hashes{"c-a": a, "c-b": b}); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := mine.Get(ctx, []string{"c-a", "c-b", "c-none"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(got) != 2 || got["c-a"] != a || got["c-b"] != b {
		t.Fatalf("got %v, want c-a and c-b as saved and nothing for c-none", got)
	}
	other, err := theirs.Get(ctx, []string{"c-a", "c-b"})
	if err != nil {
		t.Fatalf("get of the other org: %v", err)
	}
	if len(other) != 0 {
		t.Fatalf("the other org sees %v; want nothing", other)
	}

	if err := mine.Delete(ctx, []string{"c-a"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	got, err = mine.Get(ctx, []string{"c-a", "c-b"})
	if err != nil {
		t.Fatalf("get after delete: %v", err)
	}
	if _, ok := got["c-a"]; ok || got["c-b"] != b {
		t.Fatalf("after deleting c-a got %v; want only c-b", got)
	}
}

func TestAStoredHashPairOfTheWrongSizeCountsAsAbsent(t *testing.T) {
	t.Parallel()
	store := openFileStoreForHashes(t)
	org := "00D000000000001AAA"
	// A pair another version might have written: digests of 4 bytes.
	if err := store.SaveHashes(t.Context(), org, map[string]replay.Hashes{"c-old": {Content: "abcd", Metadata: "efgh"}}); err != nil {
		t.Fatalf("save a short pair: %v", err)
	}
	got, err := replay.OrgHashes{Store: store, Org: org}.Get(t.Context(), []string{"c-old"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("got %v; want the short pair treated as absent so the comment is sent again", got)
	}
}
