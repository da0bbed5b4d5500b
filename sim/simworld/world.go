package simworld

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// StoreKind picks the store behind a world.
type StoreKind int

const (
	// File is the embedded bbolt store in the test's temporary directory:
	// the default, needing no server.
	File StoreKind = iota
	// Redis is a real Redis (SFCDC_TEST_REDIS_ADDR, else 127.0.0.1:6379)
	// under a key prefix no other test uses; for tests of Redis itself.
	Redis
)

// Default CM project and source of a world.
const (
	DefaultProject = "sfcdc"
	DefaultSource  = "salesforce"
)

// Options adjust a world; the zero value is a usable world.
type Options struct {
	// Seed of the simulated org's generated records and IDs.
	Seed uint64
	// Clock drives the org's commit timestamps, retention and API window
	// (the wall clock when nil).
	Clock sfsim.Clock
	// DailyAPILimit is the org's 24-hour API allocation (the simulator's
	// default when 0).
	DailyAPILimit int
	// Bulk sets the org's Bulk API 2.0 timing and allocations.
	Bulk sfsim.BulkConfig
	// Org adjusts the rest of the simulator's configuration last (an
	// overflow limit, retention, page shrinking…).
	Org func(*sfsim.SimConfig)

	// Project and Source of the CM source the simulated CM serves
	// (DefaultProject, DefaultSource when empty).
	Project, Source string
	// CM adjusts the CM simulator's options (receipts, batch bounds…).
	CM func(*commsmining.Options)

	// Store picks the store (File unless Redis is asked for).
	Store StoreKind

	// Credentials, when set, builds the credentials both clients use from
	// the started org (refreshing ones, say); fixed credentials of the
	// org's token otherwise.
	Credentials func(*sfsim.Sim) salesforce.SessionSource
	// Watchdog is the Pub/Sub client's keepalive watchdog (its default
	// when 0).
	Watchdog time.Duration
}

// World is one test's simulated org, simulated CM, store and clients.
type World struct {
	Sim *sfsim.Sim
	// Org is the simulated org's ID.
	Org string
	// CM is the simulated CM; CMURL reaches it through Gate, which is what
	// Upload points at.
	CM    *commsmining.Server
	Gate  *Gate
	CMURL string
	// Project and Source are the CM source the world's uploads go to.
	Project, Source string

	// Store is the world's store; Redis and KeyPrefix are set only for a
	// Redis world (the client under the store and the prefix of its keys),
	// for tests that reach behind the store's back.
	Store     replay.Store
	Redis     *redis.Client
	KeyPrefix string

	Credentials salesforce.SessionSource
	Salesforce  *salesforce.Client
	PubSub      *pubsub.Client
}

// New starts a world for t; t.Cleanup closes all of it.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	simCfg := sfsim.SimConfig{
		Org:    sfsim.Config{Seed: opts.Seed},
		PubSub: sfsim.PubSubConfig{Insecure: true},
		REST:   sfsim.RESTConfig{DailyAPILimit: opts.DailyAPILimit, Bulk: opts.Bulk},
		Clock:  opts.Clock,
	}
	if opts.Org != nil {
		opts.Org(&simCfg)
	}
	s, err := sfsim.Start(simCfg)
	if err != nil {
		t.Fatalf("start the simulated org: %v", err)
	}
	t.Cleanup(s.Close)

	w := &World{Sim: s, Org: s.Org.ID(), Project: opts.Project, Source: opts.Source}
	if w.Project == "" {
		w.Project = DefaultProject
	}
	if w.Source == "" {
		w.Source = DefaultSource
	}
	cmOpts := commsmining.Options{Sources: []string{w.Project + "/" + w.Source}, RejectUnknownFields: true}
	if opts.CM != nil {
		opts.CM(&cmOpts)
	}
	w.CM, err = commsmining.Start(cmOpts)
	if err != nil {
		t.Fatalf("start the simulated CM: %v", err)
	}
	t.Cleanup(func() { _ = w.CM.Close() })
	w.Gate = newGate(w.CM.Handler())
	front := httptest.NewServer(w.Gate)
	t.Cleanup(front.Close)
	w.CMURL = front.URL

	w.Credentials = salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: w.Org}
	if opts.Credentials != nil {
		w.Credentials = opts.Credentials(s)
	}
	w.Salesforce, err = salesforce.NewClient(salesforce.Config{}, w.Credentials)
	if err != nil {
		t.Fatalf("build the REST client: %v", err)
	}
	t.Cleanup(w.Salesforce.Close)
	w.PubSub, err = pubsub.NewClient(pubsub.Config{Endpoint: s.PubSub.Addr(), Plaintext: true,
		BackoffInitial: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Watchdog: opts.Watchdog,
		Logger: slog.New(slog.DiscardHandler)}, w.Credentials)
	if err != nil {
		t.Fatalf("build the Pub/Sub client: %v", err)
	}
	t.Cleanup(func() { _ = w.PubSub.Close() })

	switch opts.Store {
	case Redis:
		store, client, prefix := NewRedisStore(t)
		w.Store, w.Redis, w.KeyPrefix = store, client, prefix
	default:
		w.Store = NewFileStore(t)
	}
	return w
}

// NewFileStore is an embedded store in t's temporary directory, closed at
// cleanup.
func NewFileStore(t testing.TB) *replay.FileStore {
	t.Helper()
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatalf("open the file store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// Upload is an uploader configuration for the world's CM source, through
// the gate, with waits short enough for tests.
func (w *World) Upload() uploader.Config {
	return uploader.Config{BaseURL: w.CMURL, Token: uploader.Secret(w.CM.Token()), Project: w.Project, Source: w.Source,
		Linger: time.Millisecond, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		ShutdownTimeout: time.Second}
}

// Comments are the comments CM holds in the world's source.
func (w *World) Comments() []commsmining.Comment {
	return w.CM.Comments(w.Project, w.Source)
}

// Comment is the comment CM holds for a record of object, if any.
func (w *World) Comment(object, recordID string) (commsmining.Comment, bool) {
	return w.CM.Comment(w.Project, w.Source, mapper.CommentID(object, recordID))
}

// CMHas reports whether CM holds a comment for every record ID of object.
func (w *World) CMHas(object string, recordIDs ...string) bool {
	for _, id := range recordIDs {
		if _, ok := w.Comment(object, id); !ok {
			return false
		}
	}
	return true
}

// Bodies is the first message body of every comment CM holds, by comment
// ID.
func (w *World) Bodies() map[string]string {
	out := map[string]string{}
	for _, c := range w.Comments() {
		body := ""
		if len(c.Messages) > 0 {
			body = c.Messages[0].Body
		}
		out[c.ID] = body
	}
	return out
}

// Checkpoint is the stored replay ID of topic, nil when none is stored.
func (w *World) Checkpoint(t testing.TB, topic string) []byte {
	t.Helper()
	cp, err := w.Store.Checkpoint(t.Context(), w.Org, topic)
	if errors.Is(err, replay.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("read the checkpoint of %s: %v", topic, err)
	}
	return cp.ReplayID
}

// Eventually polls cond every eventuallyPoll until it holds or a generous
// bound passes; the bound only keeps a broken build from hanging, it
// measures nothing.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(eventuallyPoll)
	}
}

// eventuallyPoll is Eventually's pause between two looks. Conditions read
// the store, CM's comments or an instance's reports under the race
// detector, and many waits last seconds (serve's states change with its
// 5 s reports): every 5 ms, the polling was a third of serve's tests' CPU.
// A condition that holds is seen at most 20 ms late.
const eventuallyPoll = 20 * time.Millisecond
