package pipeline_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// committed is one mapped record change and its commit time.
type committed struct {
	commentID string
	change    sfsim.ChangeType
	at        time.Time
}

// Near real time: at 500 events/s every change reaches CM, and the time
// from its commit to CM's receipt is logged (p50/p90/p99/max) for the
// notes. It asserts delivery, not a duration: timings on a shared 2-core
// machine are figures to report, not pass/fail criteria (measured at load
// < 1: p99 81-196 ms).
func TestE2ELatencyAt500EventsPerSecondIsMeasured(t *testing.T) {
	w := newE2EWorld(t, nil)
	m := e2eMapper(t)
	d := w.startDaemonUp(t, e2eObjects, func(u *uploader.Config) { u.Linger = 0 },
		func(c *pipeline.DaemonConfig) { c.Worker.FetchLinger = 0 })
	// The initial backfill of the empty org must be over before traffic
	// counts: the first comment in CM proves the streams are up.
	warm, err := w.sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the daemon streams", func() bool { return w.cmHas("Case", warm) })

	mapped := map[string]bool{"EmailMessage": true, "Case": true, "Task": true}
	var mu sync.Mutex
	var commits []committed
	measureFrom := time.Now().Add(time.Second) // warm-up: the first second is not measured
	g := sfsim.NewGenerator(w.sim.Org, 11)
	g.OnCommit = func(c sfsim.Commit) {
		if c.CommitTime.Before(measureFrom) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range c.Events {
			h := ev.Header
			if !mapped[h.EntityName] {
				continue
			}
			for _, id := range h.RecordIDs {
				commits = append(commits, committed{commentID: mapper.CommentID(h.EntityName, id), change: h.ChangeType, at: c.CommitTime})
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	if err := g.Run(ctx, 500); err != nil {
		t.Fatal(err)
	}
	awaitCMMatchesOrg(t, w.world, m, 30*time.Second, "EmailMessage", "Case", "Task")
	d.stop(t)

	// A change's latency: from its commit to the first receipt of its
	// comment at or after the commit (that sync carried this version or a
	// newer one).
	receipts := map[string][]time.Time{}
	for _, r := range w.cm.Receipts() {
		receipts[r.CommentID] = append(receipts[r.CommentID], r.At)
	}
	var lat []time.Duration
	unmatched := 0
	deletes := map[string][]time.Time{}
	for _, c := range commits {
		if c.change == sfsim.ChangeDelete {
			deletes[c.commentID] = append(deletes[c.commentID], c.at)
		}
	}
	for _, c := range commits {
		if c.change != sfsim.ChangeCreate && c.change != sfsim.ChangeUpdate && c.change != sfsim.ChangeUndelete {
			continue
		}
		at := receipts[c.commentID]
		i, _ := slices.BinarySearchFunc(at, c.at, func(a, b time.Time) int { return a.Compare(b) })
		if i == len(at) {
			unmatched++ // a change CM did not need (same content hashes)
			continue
		}
		if slices.ContainsFunc(deletes[c.commentID], func(d time.Time) bool { return !d.Before(c.at) && d.Before(at[i]) }) {
			unmatched++ // deleted before CM got it: the next receipt is of the undelete
			continue
		}
		lat = append(lat, at[i].Sub(c.at))
	}
	if len(lat) < 1000 {
		t.Fatalf("only %d changes measured (%d unmatched), want at least 1000", len(lat), unmatched)
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	t.Logf("%d changes after warm-up (%d skipped: no later receipt, or deleted first): p50 %v, p90 %v, p99 %v, max %v",
		len(lat), unmatched, p(0.5), p(0.9), p(0.99), lat[len(lat)-1])
}
