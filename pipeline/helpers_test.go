package pipeline_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
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

// world is the shared simulated world (org, CM behind a switchable fault
// gate, the embedded store unless the test exercises Redis) and the
// helpers this package's tests share.
type world struct{ *simworld.World }

// newWorld is a world on the embedded store.
func newWorld(t *testing.T) *world {
	t.Helper()
	return openWorld(t, simworld.Options{})
}

// newWorldWith is newWorld with the simulator's configuration adjusted by
// tune (a clock to age events past retention, an overflow limit…).
func newWorldWith(t *testing.T, tune func(*sfsim.SimConfig)) *world {
	t.Helper()
	return openWorld(t, simworld.Options{Org: tune})
}

// newRedisWorld is a world on Redis, for the tests that reach behind the
// store's back (a lost key, a slow link to Redis).
func newRedisWorld(t *testing.T) *world {
	t.Helper()
	return openWorld(t, simworld.Options{Store: simworld.Redis})
}

// openWorld starts a world with this package's seed.
func openWorld(t testing.TB, opts simworld.Options) *world {
	t.Helper()
	opts.Seed = 21
	return &world{simworld.New(t, opts)}
}

// redisStore is the world's Redis store; the test fails on another store.
func (w *world) redisStore(t *testing.T) *replay.RedisStore {
	t.Helper()
	rs, ok := w.Store.(*replay.RedisStore)
	if !ok {
		t.Fatalf("the world's store is %T: this test needs newRedisWorld", w.Store)
	}
	return rs
}

// deleteCheckpointKey removes the topic's checkpoint behind the store's
// back, as a Redis that lost data would.
func (w *world) deleteCheckpointKey(t *testing.T, topic string) {
	t.Helper()
	w.redisStore(t)
	key := w.KeyPrefix + "{" + w.Org + "}:checkpoint:" + topic
	if n, err := w.Redis.Del(t.Context(), key).Result(); err != nil || n != 1 {
		t.Fatalf("delete checkpoint key %s: deleted %d, %v", key, n, err)
	}
}

// setup is what a test changes about a worker.
type setup struct {
	topic   string
	objects []mapper.ObjectMapping
	upload  func(*uploader.Config)
}

// running is a worker started by start; stop cancels it and returns Run's
// result.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("worker stopped with %v, want a clean stop", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30 s")
	}
}

func (w *world) start(t *testing.T, s setup) *running {
	t.Helper()
	return w.startWith(t, s, nil)
}

// startWith starts a worker after tune adjusted its configuration.
func (w *world) startWith(t *testing.T, s setup, tune func(*pipeline.Config, *pipeline.Options)) *running {
	t.Helper()
	m, err := mapper.New(mapper.Config{Objects: s.objects})
	if err != nil {
		t.Fatal(err)
	}
	up := w.Upload()
	if s.upload != nil {
		s.upload(&up)
	}
	cfg := pipeline.Config{Org: w.Sim.Org.ID(), Topic: s.topic, Holder: "test-" + t.Name(),
		FlushInterval: 10 * time.Millisecond, FetchLinger: 5 * time.Millisecond, DrainTimeout: 300 * time.Millisecond}
	opts := pipeline.Options{PubSub: w.PubSub, Records: w.Salesforce, Mapper: m, Store: w.Store, Upload: up}
	if tune != nil {
		tune(&cfg, &opts)
	}
	wk, err := pipeline.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = wk.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// create makes one record in its own transaction and returns its ID and
// the replay ID of its change event (the bus's newest event).
func (w *world) create(t *testing.T, object string, v sfsim.Values) (id string, replayID []byte) {
	t.Helper()
	id, err := w.Sim.Org.Create(object, v)
	if err != nil {
		t.Fatal(err)
	}
	return id, sfsim.EncodeReplayID(w.Sim.Bus.Tip())
}

// eventually is simworld.Eventually.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	simworld.Eventually(t, what, cond)
}
