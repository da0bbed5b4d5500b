package pipeline_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// refreshingCreds hands out the simulator's tokens and mints a new one when
// the server rejects the current one, as OAuth credentials would.
type refreshingCreds struct {
	sim *sfsim.Sim

	mu        sync.Mutex
	cur       salesforce.Session
	refreshes int
}

func (c *refreshingCreds) Current(context.Context) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, nil
}

func (c *refreshingCreds) Refresh(_ context.Context, rejected salesforce.Session) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rejected.AccessToken == c.cur.AccessToken {
		c.cur.AccessToken = c.sim.Tokens.Issue()
		c.refreshes++
	}
	return c.cur, nil
}

func (c *refreshingCreds) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refreshes
}

// e2eWorld is a world whose clients refresh tokens, whose Pub/Sub watchdog
// is short and whose CM simulator records receive times.
type e2eWorld struct {
	*world
	creds *refreshingCreds
}

func newE2EWorld(t testing.TB, tune func(*sfsim.SimConfig)) *e2eWorld {
	t.Helper()
	var creds *refreshingCreds
	w := openWorld(t, simworld.Options{
		Org: tune,
		CM:  func(o *commsmining.Options) { o.RecordReceipts = true },
		Credentials: func(s *sfsim.Sim) salesforce.SessionSource {
			creds = &refreshingCreds{sim: s, cur: salesforce.Session{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}}
			return creds
		},
		Watchdog: 500 * time.Millisecond,
	})
	return &e2eWorld{world: w, creds: creds}
}

// expectedComments maps every live record of objects in the org through m:
// comment ID → the (subject, body) CM must hold.
func expectedComments(t testing.TB, org *sfsim.Org, m *mapper.Mapper, objects ...string) map[string][2]string {
	t.Helper()
	want := map[string][2]string{}
	for _, object := range objects {
		for _, r := range org.Records(object) {
			if r.IsDeleted() {
				continue
			}
			res, err := m.Map(mapper.Record{Object: object, ID: r.ID(), Fields: map[string]any(r.Fields)})
			if err != nil {
				t.Fatalf("map %s %s: %v", object, r.ID(), err)
			}
			c, err := res.Comment()
			if err != nil {
				t.Fatal(err)
			}
			want[res.CommentID] = [2]string{c.Messages[0].Subject, c.Messages[0].Body}
		}
	}
	return want
}

// cmDiff compares CM's comments with want and describes the differences
// (empty when CM holds exactly the wanted comments).
func cmDiff(cm *commsmining.Server, want map[string][2]string) string {
	var diffs []string
	got := cm.Comments(cmProject, cmSource)
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.ID] = true
		w, ok := want[c.ID]
		switch {
		case !ok:
			diffs = append(diffs, "unexpected comment "+c.ID)
		case len(c.Messages) != 1:
			diffs = append(diffs, fmt.Sprintf("%s has %d messages", c.ID, len(c.Messages)))
		case c.Messages[0].Subject != w[0] || c.Messages[0].Body != w[1]:
			diffs = append(diffs, fmt.Sprintf("%s is stale: subject %q body %q…, want subject %q body %q…",
				c.ID, c.Messages[0].Subject, short(c.Messages[0].Body), w[0], short(w[1])))
		}
	}
	for id := range want {
		if !seen[id] {
			diffs = append(diffs, "missing comment "+id)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("… and %d more", len(diffs)-10))
	}
	return strings.Join(diffs, "\n")
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60]
	}
	return s
}

// awaitCMMatchesOrg polls until CM holds exactly one up-to-date comment per
// live record of objects, or fails after bound.
func awaitCMMatchesOrg(t testing.TB, w *world, m *mapper.Mapper, bound time.Duration, objects ...string) {
	t.Helper()
	want := expectedComments(t, w.Sim.Org, m, objects...)
	deadline := time.Now().Add(bound)
	for {
		d := cmDiff(w.CM, want)
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CM does not match the org (%d records expected, %d comments in CM):\n%s",
				len(want), len(w.CM.Comments(cmProject, cmSource)), d)
		}
		// Each look compares every comment with its record under -race:
		// a tenth of a second between looks is a small delay on waits of
		// seconds, and a fifth of the looks.
		time.Sleep(100 * time.Millisecond)
	}
}

// startDaemonUp is startDaemon with the uploader's configuration adjusted
// by tuneUp too.
func (w *world) startDaemonUp(t testing.TB, objects []mapper.ObjectMapping, tuneUp func(*uploader.Config), tune func(*pipeline.DaemonConfig)) *daemonRun {
	t.Helper()
	return w.startDaemonWith(t, objects, daemonTuning{upload: tuneUp, daemon: tune})
}

// daemonTuning is what a test changes about a daemon; nil fields keep the
// defaults of startDaemonWith.
type daemonTuning struct {
	upload     func(*uploader.Config)
	daemon     func(*pipeline.DaemonConfig)
	options    func(*pipeline.Options)
	fill       func(*backfill.Options)
	fillConfig func(*backfill.Config)
}

// startDaemonWith runs a daemon over the world's org for objects.
func (w *world) startDaemonWith(t testing.TB, objects []mapper.ObjectMapping, tn daemonTuning) *daemonRun {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: objects})
	if err != nil {
		t.Fatal(err)
	}
	up := uploader.Config{BaseURL: w.CMURL, Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource,
		Linger: time.Millisecond, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		ShutdownTimeout: time.Second}
	if tn.upload != nil {
		tn.upload(&up)
	}
	fillOpts := backfill.Options{Salesforce: w.Salesforce, Mapper: m, Store: w.Store, Org: w.Sim.Org.ID(), Upload: up}
	if tn.fill != nil {
		tn.fill(&fillOpts)
	}
	fillCfg := backfill.Config{PollInterval: 50 * time.Millisecond}
	if tn.fillConfig != nil {
		tn.fillConfig(&fillCfg)
	}
	fill, err := backfill.New(fillCfg, fillOpts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DaemonConfig{Org: w.Sim.Org.ID(), Holder: "test-" + t.Name(), RetryInterval: 20 * time.Millisecond,
		Worker: pipeline.Config{FlushInterval: 10 * time.Millisecond, FetchLinger: 5 * time.Millisecond,
			DrainTimeout: 300 * time.Millisecond}}
	if tn.daemon != nil {
		tn.daemon(&cfg)
	}
	opts := pipeline.Options{PubSub: w.PubSub, Records: w.Salesforce, Mapper: m, Store: w.Store, Upload: up}
	if tn.options != nil {
		tn.options(&opts)
	}
	d, err := pipeline.NewDaemon(cfg, opts, fill)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &daemonRun{daemon: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}
