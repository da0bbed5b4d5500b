//go:build failpoints

package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
)

// Failpoints exist only in binaries built with -tags failpoints (the
// crash tests build one): SFCDC_FAILPOINT=<point>:<n> makes the process
// SIGKILL itself when the n-th call of the point begins, so a test can
// crash it at an exact place. Points:
//
//	save-hashes     CM accepted a batch; its content hashes are not saved yet
//	save-watermark  records settled; the watermark is not saved yet
func withFailpoints(store backfill.Store) backfill.Store {
	point, nth, ok := strings.Cut(os.Getenv("SFCDC_FAILPOINT"), ":")
	n, err := strconv.Atoi(nth)
	if !ok || err != nil || n < 1 {
		return store
	}
	return &failpointStore{Store: store, point: point, n: int64(n)}
}

type failpointStore struct {
	backfill.Store
	point string
	n     int64
	calls atomic.Int64
}

func (f *failpointStore) reach(point string) {
	if point == f.point && f.calls.Add(1) == f.n {
		self, _ := os.FindProcess(os.Getpid())
		_ = self.Kill()
		select {} // the signal is on its way
	}
}

func (f *failpointStore) SaveHashes(ctx context.Context, org string, batch map[string]replay.Hashes) error {
	f.reach("save-hashes")
	return f.Store.SaveHashes(ctx, org, batch)
}

func (f *failpointStore) SaveWatermark(ctx context.Context, org, object string, w replay.Watermark) error {
	f.reach("save-watermark")
	return f.Store.SaveWatermark(ctx, org, object, w)
}
