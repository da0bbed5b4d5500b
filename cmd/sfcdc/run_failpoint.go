//go:build failpoints

package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// The crash points of the run path, for the fault suite (faults_*_test.go),
// in binaries built with -tags failpoints only. SFCDC_FAILPOINT=<point>:<n>
// SIGKILLs the process at the n-th time the point is reached, counted over
// the whole process (initial backfill and stream workers alike):
//
//	save-hashes        CM accepted a batch; its content hashes are not saved yet
//	checkpoint-before  a checkpoint write is about to be sent
//	checkpoint-after   a checkpoint write was accepted (fenced) by the store
//	fetch-records      a Salesforce REST call (a record fetch while streaming) is about to be sent
//
// The backfill's own points (backfill_failpoint.go) share the variable; a
// point name one wrapper does not know is ignored by it.
var runFailpoint = parseRunFailpoint(os.Getenv("SFCDC_FAILPOINT"))

type failpointSpec struct {
	point string
	n     int64
	calls atomic.Int64
}

func parseRunFailpoint(v string) *failpointSpec {
	point, nth, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(nth)
	if !ok || err != nil || n < 1 {
		return nil
	}
	return &failpointSpec{point: point, n: int64(n)}
}

// reach kills the process when point is the armed one and this is its n-th
// call. SIGKILL, not exit: nothing deferred runs, as in a real crash.
func (f *failpointSpec) reach(point string) {
	if f == nil || point != f.point || f.calls.Add(1) != f.n {
		return
	}
	self, _ := os.FindProcess(os.Getpid())
	_ = self.Kill()
	select {} // the signal is on its way
}

// withRunFailpoints wraps the store every command of the process uses;
// unchanged when no failpoint is armed.
func withRunFailpoints(store replay.Store) replay.Store {
	if runFailpoint == nil {
		return store
	}
	return &runFailpointStore{Store: store}
}

// withRESTFailpoint wraps the credentials of the REST client: every REST
// call asks them for the session first, so the n-th call is the n-th
// request about to leave.
func withRESTFailpoint(creds salesforce.SessionSource) salesforce.SessionSource {
	if runFailpoint == nil {
		return creds
	}
	return restFailpointCreds{creds}
}

type runFailpointStore struct{ replay.Store }

func (s *runFailpointStore) SaveHashes(ctx context.Context, org string, batch map[string]replay.Hashes) error {
	runFailpoint.reach("save-hashes")
	return s.Store.SaveHashes(ctx, org, batch)
}

func (s *runFailpointStore) SaveCheckpoint(ctx context.Context, lease replay.Lease, cp replay.Checkpoint) error {
	runFailpoint.reach("checkpoint-before")
	if err := s.Store.SaveCheckpoint(ctx, lease, cp); err != nil {
		return err
	}
	runFailpoint.reach("checkpoint-after")
	return nil
}

type restFailpointCreds struct{ salesforce.SessionSource }

func (c restFailpointCreds) Current(ctx context.Context) (salesforce.Session, error) {
	runFailpoint.reach("fetch-records")
	return c.SessionSource.Current(ctx)
}
