package backfill_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
)

func TestTheEmbeddedFileStoreKeepsTheBackfillStateLikeRedis(t *testing.T) {
	w := newWorld(t, worldOptions{})
	fs, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	w.store = fs
	seedEmails(t, w.sim.Org, 500, 100)
	for range 2 {
		if _, err := w.backfill(t, setup{cfg: backfill.Config{PageSize: 200}}).Run(context.Background(), backfill.Request{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameBodies(w.cmBodies(), w.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
	if st := w.cm.Stats(); st.CommentsReceived != 500 {
		t.Fatalf("CM received %d comments over two runs, want 500: the second run must find every hash", st.CommentsReceived)
	}
	if wm := w.watermark(t, "EmailMessage"); wm.RecordID == "" {
		t.Fatal("no watermark in the file store")
	}
}
