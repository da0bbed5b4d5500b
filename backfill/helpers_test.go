package backfill_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // go-redis pool reaper between tests
	)
}

const cmProject, cmSource = "sfcdc", "salesforce"

// world is one test's simulated org, simulated CM, and real Redis store.
type world struct {
	sim   *sfsim.Sim
	cm    *commsmining.Server
	store backfill.Store
	sf    *salesforce.Client
}

// worldOptions adjust a world.
type worldOptions struct {
	clock      sfsim.Clock
	dailyLimit int
	bulk       sfsim.BulkConfig
}

func newWorld(t testing.TB, opts worldOptions) *world {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: 11},
		PubSub: sfsim.PubSubConfig{Insecure: true},
		REST:   sfsim.RESTConfig{DailyAPILimit: opts.dailyLimit, Bulk: opts.bulk},
		Clock:  opts.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cm, err := commsmining.Start(commsmining.Options{Sources: []string{cmProject + "/" + cmSource}, RejectUnknownFields: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cm.Close() })
	creds := salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	sf, err := salesforce.NewClient(salesforce.Config{}, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	return &world{sim: s, cm: cm, store: newStore(t), sf: sf}
}

// redisAddr is the shared test Redis (scripts/test.sh sets the variable).
func redisAddr() string {
	if addr := os.Getenv("SFCDC_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// newStore is a RedisStore under a prefix no other test uses; its keys
// are deleted at cleanup.
func newStore(t testing.TB) *replay.RedisStore {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "sfcdctest:backfill:" + hex.EncodeToString(b) + ":"
	client := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true, DialTimeout: 2 * time.Second})
	if err := client.Ping(t.Context()).Err(); err != nil {
		client.Close()
		t.Fatalf("no Redis at %s (%v): run ./scripts/test.sh or set SFCDC_TEST_REDIS_ADDR", redisAddr(), err)
	}
	store, err := replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deleteKeys(client, prefix)
		store.Close()
	})
	return store
}

func deleteKeys(client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		client.Del(ctx, keys...)
	}
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
	up := uploader.Config{BaseURL: w.cm.URL(), Token: uploader.Secret(w.cm.Token()), Project: cmProject, Source: cmSource,
		InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	if s.upload != nil {
		s.upload(&up)
	}
	b, err := backfill.New(s.cfg, backfill.Options{
		Salesforce: w.sf, Mapper: m, Store: w.store, Org: w.sim.Org.ID(), Upload: up,
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
	t.Helper()
	caseID, err := org.Create("Case", sfsim.Values{"Subject": "Seeded case", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for len(ids) < n {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < perTx && len(ids) < n; i++ {
				id, err := tx.Create("EmailMessage", emailValues(caseID, len(ids)))
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

// cmBodies returns the body of every stored comment by comment ID.
func (w *world) cmBodies() map[string]string {
	out := map[string]string{}
	for _, c := range w.cm.Comments(cmProject, cmSource) {
		body := ""
		if len(c.Messages) > 0 {
			body = c.Messages[0].Body
		}
		out[c.ID] = body
	}
	return out
}

// wantBodies is what CM should hold for the live EmailMessages of the org.
func (w *world) wantBodies(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	m, err := mapper.New(mapper.Config{Objects: emails})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range w.sim.Org.Records("EmailMessage") {
		if r.IsDeleted() {
			continue
		}
		// Through the mapper, which cleans the text as the upload does.
		res, err := m.Map(mapper.Record{Object: "EmailMessage", ID: r.ID(), Fields: map[string]any(r.Fields)})
		if err != nil {
			t.Fatalf("map EmailMessage %s: %v", r.ID(), err)
		}
		c, err := res.Comment()
		if err != nil {
			t.Fatal(err)
		}
		out[res.CommentID] = c.Messages[0].Body
	}
	return out
}

// watermark reads an object's stored watermark.
func (w *world) watermark(t *testing.T, object string) replay.Watermark {
	t.Helper()
	wm, err := w.store.Watermark(context.Background(), w.sim.Org.ID(), object)
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
