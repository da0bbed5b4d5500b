//go:build failpoints

package failpoint

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Variable arms a point: SFCDC_FAILPOINT=<point>:<n> SIGKILLs the process
// at the n-th call of the point.
//
// The points of the store and REST wrappers (Store, RESTCredentials) are
// counted over the whole process, initial backfill and stream workers
// alike:
//
//	save-hashes        CM accepted a batch; its content hashes are not saved yet
//	checkpoint-before  a checkpoint write is about to be sent
//	checkpoint-after   a checkpoint write was accepted (fenced) by the store
//	fetch-records      a Salesforce REST call (a record fetch while streaming) is about to be sent
//
// The backfill's own store (BackfillStore) counts its points per wrapped
// store:
//
//	save-hashes     CM accepted a batch; its content hashes are not saved yet
//	save-watermark  records settled; the watermark is not saved yet
//
// All share the variable; a point name one wrapper does not know is
// ignored by it.
const Variable = "SFCDC_FAILPOINT"

// processPoint is the armed point of the process-wide wrappers, nil when
// none is armed.
var processPoint = parse(os.Getenv(Variable))

// spec is one armed point and the calls counted so far.
type spec struct {
	point string
	n     int64
	calls atomic.Int64
}

func parse(v string) *spec {
	point, nth, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(nth)
	if !ok || err != nil || n < 1 {
		return nil
	}
	return &spec{point: point, n: int64(n)}
}

// reach kills the process when point is the armed one and this is its n-th
// call. SIGKILL, not exit: nothing deferred runs, as in a real crash.
func (f *spec) reach(point string) {
	if f == nil || point != f.point || f.calls.Add(1) != f.n {
		return
	}
	self, _ := os.FindProcess(os.Getpid())
	_ = self.Kill()
	select {} // the signal is on its way
}

// Store wraps the store every command of the process uses; unchanged when
// no point is armed.
func Store(store replay.Store) replay.Store {
	if processPoint == nil {
		return store
	}
	return &processStore{Store: store}
}

// RESTCredentials wraps the credentials of the REST client: every REST
// call asks them for the session first, so the n-th call is the n-th
// request about to leave.
func RESTCredentials(creds salesforce.SessionSource) salesforce.SessionSource {
	if processPoint == nil {
		return creds
	}
	return restCreds{creds}
}

type processStore struct{ replay.Store }

func (s *processStore) SaveHashes(ctx context.Context, org string, batch map[string]replay.Hashes) error {
	processPoint.reach("save-hashes")
	return s.Store.SaveHashes(ctx, org, batch)
}

func (s *processStore) SaveCheckpoint(ctx context.Context, lease replay.Lease, cp replay.Checkpoint) error {
	processPoint.reach("checkpoint-before")
	if err := s.Store.SaveCheckpoint(ctx, lease, cp); err != nil {
		return err
	}
	processPoint.reach("checkpoint-after")
	return nil
}

type restCreds struct{ salesforce.SessionSource }

func (c restCreds) Current(ctx context.Context) (salesforce.Session, error) {
	processPoint.reach("fetch-records")
	return c.SessionSource.Current(ctx)
}

// BackfillStore wraps a backfill's store with the backfill's points, read
// from the environment at each call and counted per wrapped store.
func BackfillStore(store backfill.Store) backfill.Store {
	armed := parse(os.Getenv(Variable))
	if armed == nil {
		return store
	}
	return &backfillStore{Store: store, armed: armed}
}

type backfillStore struct {
	backfill.Store
	armed *spec
}

func (f *backfillStore) SaveHashes(ctx context.Context, org string, batch map[string]replay.Hashes) error {
	f.armed.reach("save-hashes")
	return f.Store.SaveHashes(ctx, org, batch)
}

func (f *backfillStore) SaveWatermark(ctx context.Context, org, object string, w replay.Watermark) error {
	f.armed.reach("save-watermark")
	return f.Store.SaveWatermark(ctx, org, object, w)
}
