package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // go-redis pool reaper between tests
	)
}

const cmProject, cmSource = simworld.DefaultProject, simworld.DefaultSource

// world is the shared simulated world (org, CM, embedded store) with the
// helpers this package's tests share.
type world struct{ *simworld.World }

// newWorld starts a world with this package's seed unless opts names one.
func newWorld(t testing.TB, opts simworld.Options) *world {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	return &world{simworld.New(t, opts)}
}

// setup is what a test changes about a backfill.
type setup struct {
	cfg      backfill.Config
	objects  []mapper.ObjectMapping
	upload   func(*uploader.Config)
	progress func(backfill.Progress)
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	logger   *slog.Logger
}

// emails maps EmailMessage with its built-in mapping.
var emails = []mapper.ObjectMapping{{Object: "EmailMessage"}}

func (w *world) backfill(t testing.TB, s setup) *backfill.Backfill {
	t.Helper()
	if s.objects == nil {
		s.objects = emails
	}
	m, err := mapper.New(mapper.Config{Objects: s.objects})
	if err != nil {
		t.Fatal(err)
	}
	up := uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource,
		InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	if s.upload != nil {
		s.upload(&up)
	}
	b, err := backfill.New(s.cfg, backfill.Options{
		Salesforce: w.Salesforce, Mapper: m, Store: w.Store, Org: w.Sim.Org.ID(), Upload: up,
		Progress: s.progress, Sleep: s.sleep, Now: s.now, Logger: s.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedEmails creates n EmailMessages on one case, perTx per transaction
// (one transaction shares one SystemModstamp), and returns their IDs.
func seedEmails(t testing.TB, org *sfsim.Org, n, perTx int) []string {
	return seedEmailsWith(t, org, n, perTx, emailValues)
}

// seedEmailsWith is seedEmails with the values of the i-th email given by
// values.
func seedEmailsWith(t testing.TB, org *sfsim.Org, n, perTx int, values func(caseID string, i int) sfsim.Values) []string {
	t.Helper()
	caseID, err := org.Create("Case", sfsim.Values{"Subject": "Seeded case", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, n)
	for len(ids) < n {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < perTx && len(ids) < n; i++ {
				id, err := tx.Create("EmailMessage", values(caseID, len(ids)))
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func emailValues(caseID string, i int) sfsim.Values {
	return sfsim.Values{
		"ParentId": caseID, "Subject": fmt.Sprintf("Order question %d", i),
		"TextBody":    fmt.Sprintf("Hello, this is message %d about my order. Could you tell me when it ships? Thanks, Ada", i),
		"FromAddress": "ada@example.com", "ToAddress": "support@example.com", "Incoming": true, "Status": "0",
		"MessageDate": time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
}

// wantBodies is what CM should hold for the live EmailMessages of the org.
func (w *world) wantBodies(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	w.eachWantedEmail(t, func(id string, c mapper.Comment) { out[id] = c.Messages[0].Body })
	return out
}

// eachWantedEmail hands fn the comment CM should hold for each live
// EmailMessage of the org, by comment ID, mapped as the upload maps it
// (so the text is cleaned the same way).
func (w *world) eachWantedEmail(t testing.TB, fn func(commentID string, c mapper.Comment)) {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: emails})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Sim.Org.Records("EmailMessage") {
		if r.IsDeleted() {
			continue
		}
		res, err := m.Map(mapper.Record{Object: "EmailMessage", ID: r.ID(), Fields: map[string]any(r.Fields)})
		if err != nil {
			t.Fatalf("map EmailMessage %s: %v", r.ID(), err)
		}
		c, err := res.Comment()
		if err != nil {
			t.Fatal(err)
		}
		fn(res.CommentID, c)
	}
}

// watermark reads an object's stored watermark.
func (w *world) watermark(t *testing.T, object string) replay.Watermark {
	t.Helper()
	wm, err := w.Store.Watermark(context.Background(), w.Sim.Org.ID(), object)
	if err != nil {
		t.Fatalf("read watermark of %s: %v", object, err)
	}
	return wm
}

// fixedClock is a simulated-org clock that stands still until moved, so
// every commit in between shares one SystemModstamp.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sameBodies reports the first difference between two comment sets.
func sameBodies(got, want map[string]string) error {
	if len(got) != len(want) {
		return fmt.Errorf("CM holds %d comments, want %d", len(got), len(want))
	}
	for id, body := range want {
		g, ok := got[id]
		switch {
		case !ok:
			return fmt.Errorf("comment %s is missing", id)
		case g != body:
			return fmt.Errorf("comment %s holds %q, want the newest %q", id, g, body)
		}
	}
	return nil
}
