package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
)

// The invariant checker of the fault suite (reliability.md §3), run after
// every scenario:
//
//	I1 nothing lost: CM holds exactly one comment per live record of the
//	   mapped objects, with the org's current text, and none for a deleted one;
//	I2 duplicates bounded: CM sync receipts that changed nothing (a comment
//	   re-sent with the same content) stay under the scenario's bound;
//	I3 checkpoint monotone: the checkpoint's replay ID and fencing token,
//	   polled in Redis throughout, never go backwards;
//	I4 one writer per topic: no two Subscribe streams of a topic request
//	   events while both are open, and I3's token order rejects stale writes;
//	I5 no secret in any output: the client secret, the CM token and any
//	   Salesforce session ID are absent from the processes' output, from
//	   every Redis key of the store and from /metrics.

// checkpointMonitor polls every topic's checkpoint in Redis and records
// each write it sees.
type checkpointMonitor struct {
	store  *replay.RedisStore
	org    string
	topics []string
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	last       map[string]observedCheckpoint
	writes     map[string][]observedCheckpoint
	violations []string
	operator   map[string]uint64 // replay IDs an operator set, by topic
}

// observedCheckpoint is one checkpoint value as read from the store.
type observedCheckpoint struct {
	replay    uint64
	token     uint64
	writtenAt time.Time
	seenAt    time.Time
}

func startCheckpointMonitor(t *testing.T, store *replay.RedisStore, org string, topics []string) *checkpointMonitor {
	ctx, cancel := context.WithCancel(context.Background())
	m := &checkpointMonitor{store: store, org: org, cancel: cancel, done: make(chan struct{}),
		last: map[string]observedCheckpoint{}, writes: map[string][]observedCheckpoint{},
		operator: map[string]uint64{}}
	m.topics = topics
	go func() {
		defer close(m.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			m.pollAll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(m.stop)
	return m
}

func (m *checkpointMonitor) stop() {
	m.cancel()
	<-m.done
}

// pollAll reads every topic's checkpoint once.
func (m *checkpointMonitor) pollAll(ctx context.Context) {
	for _, topic := range m.topics {
		m.poll(ctx, topic)
	}
}

func (m *checkpointMonitor) poll(ctx context.Context, topic string) {
	cp, err := m.store.Checkpoint(ctx, m.org, topic)
	if err != nil {
		return // none yet, or Redis is down: a fault some scenarios inject
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(cp.ReplayID) != 8 {
		m.violations = append(m.violations, fmt.Sprintf("%s: checkpoint replay ID %x is not one the simulated bus issued", topic, cp.ReplayID))
		return
	}
	obs := observedCheckpoint{replay: binary.BigEndian.Uint64(cp.ReplayID), token: cp.Token, writtenAt: cp.WrittenAt, seenAt: time.Now()}
	prev, ok := m.last[topic]
	if ok && prev.writtenAt.Equal(obs.writtenAt) && prev.replay == obs.replay && prev.token == obs.token {
		return
	}
	if set, byOperator := m.operator[topic]; byOperator && prev.replay == set {
		ok = false // the operator's value: the daemon may replace it with anything
	}
	if ok && obs.replay < prev.replay {
		m.violations = append(m.violations, fmt.Sprintf("%s: checkpoint went back from replay %d (token %d) to %d (token %d)",
			topic, prev.replay, prev.token, obs.replay, obs.token))
	}
	if ok && obs.token < prev.token {
		m.violations = append(m.violations, fmt.Sprintf("%s: a checkpoint written under fencing token %d replaced one of token %d: a stale writer was accepted",
			topic, obs.token, prev.token))
	}
	m.last[topic] = obs
	m.writes[topic] = append(m.writes[topic], obs)
}

// operatorSet says an operator moved topic's checkpoint to replay (`sfcdc
// replay set`): from there, the daemon's next write may go anywhere.
func (m *checkpointMonitor) operatorSet(topic string, replay uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.operator[topic] = replay
}

// current is the last value seen for topic.
func (m *checkpointMonitor) current(topic string) (observedCheckpoint, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.last[topic]
	return o, ok
}

// firstAdvanceAfter is when topic's checkpoint was first written past its
// value at t (zero if never): liveness after a fault (I7). Write times are
// the store's stamps, so the poll's lag does not blur the order.
func (m *checkpointMonitor) firstAdvanceAfter(topic string, t time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var before uint64
	for _, w := range m.writes[topic] {
		if set, ok := m.operator[topic]; ok && w.replay == set {
			continue // the operator's, not the daemon's
		}
		if !w.writtenAt.After(t) {
			before = w.replay
			continue
		}
		if w.replay > before {
			return w.writtenAt
		}
	}
	return time.Time{}
}

// writesUnder lists the writes of topic seen with the given token and
// written after t.
func (m *checkpointMonitor) writesUnder(topic string, token uint64, after time.Time) []observedCheckpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []observedCheckpoint
	for _, w := range m.writes[topic] {
		if w.token == token && w.writtenAt.After(after) {
			out = append(out, w)
		}
	}
	return out
}

func (m *checkpointMonitor) problems() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.violations...)
}

// checkOptions tune the checker for one scenario.
type checkOptions struct {
	// maxDuplicates bounds the re-sent unchanged comments (I2).
	maxDuplicates int
	// faultCleared is when the fault ended, for the time to recover.
	faultCleared time.Time
}

// scenarioFigures are what the suite logs per scenario.
type scenarioFigures struct {
	changes, receipts, duplicates, comments int
	ratio                                   float64
	delivered                               int // events the Pub/Sub server sent, all streams
	resumed, converged                      time.Duration
	maxStreams                              int
}

// finish stops the traffic, waits for CM to match the org, checks every
// invariant, stops the running processes with SIGTERM (exit 0 required)
// and logs the scenario's figures.
func (w *faultWorld) finish(t *testing.T, opts checkOptions) scenarioFigures {
	t.Helper()
	w.stopTraffic()
	if opts.faultCleared.IsZero() {
		opts.faultCleared = time.Now()
	}
	if opts.maxDuplicates == 0 {
		opts.maxDuplicates = defaultMaxDuplicates
	}
	running := w.running()
	var figs scenarioFigures

	// I1: CM converges on the org.
	want := w.expectedComments(t)
	if !waitUntil(30*time.Second, func() bool { return w.cmDiff(want) == "" }) {
		t.Fatalf("I1: CM does not match the org 30s after the fault cleared (%d records, %d comments):\n%s\n%s%s\nstatus:\n%s%s",
			len(want), w.commentCount(), w.cmDiff(want), w.explainDiff(want), w.eventLog(), w.statusReport(), procLogs(t, running))
	}
	figs.converged = time.Since(opts.faultCleared)

	// I5 (metrics part) while the processes still serve.
	metrics := w.scrapeMetrics(t)
	for _, p := range running {
		p.terminate(t) // flushes the last checkpoint
	}
	w.mon.pollAll(context.Background())
	if resumed := w.mon.firstAdvanceAfter(faultTopics[0], opts.faultCleared); !resumed.IsZero() {
		figs.resumed = resumed.Sub(opts.faultCleared)
	}

	// I2: duplicates.
	receipts := w.cm.Receipts()
	for _, r := range receipts {
		if r.Result == "unchanged" {
			figs.duplicates++
		}
	}
	figs.receipts, figs.changes, figs.comments = len(receipts), w.changes(), len(want)
	if figs.changes > 0 {
		figs.ratio = float64(figs.receipts) / float64(figs.changes)
	}
	if figs.duplicates > opts.maxDuplicates {
		t.Errorf("I2: CM received %d comments again unchanged, more than the bound %d (%d receipts for %d changes)",
			figs.duplicates, opts.maxDuplicates, figs.receipts, figs.changes)
	}

	// I3 and I4.
	w.mon.stop()
	for _, p := range w.mon.problems() {
		t.Errorf("I3: %s", p)
	}
	figs.maxStreams = w.checkOneWriter(t)
	for _, s := range w.pubsub.snapshot() {
		figs.delivered += s.events
	}

	// I5: outputs, Redis and metrics.
	w.checkNoSecrets(t, metrics)
	if runHasListenFlag(t) {
		t.Logf("I5 covered %d bytes of /metrics too", len(metrics))
	}

	resumed := "never before the end"
	if figs.resumed > 0 {
		resumed = figs.resumed.Round(time.Millisecond).String()
	}
	t.Logf("figures: %d changes, %d events delivered by Pub/Sub (%d redelivered), %d comments, %d CM receipts (%.2f per change), %d duplicates (re-sent unchanged); after the fault cleared the %s checkpoint advanced in %s and CM matched the org in %s; at most %d streams of one topic open at once",
		figs.changes, figs.delivered, figs.delivered-figs.changes, figs.comments, figs.receipts, figs.ratio, figs.duplicates, faultTopics[0], resumed,
		figs.converged.Round(time.Millisecond), figs.maxStreams)
	return figs
}

// defaultMaxDuplicates is I2's default bound: one fault may re-send what
// was in flight (a few uploader batches at this rate), far below a replay
// of the whole stream.
const defaultMaxDuplicates = 150

func (w *faultWorld) running() []*faultProc {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*faultProc
	for _, p := range w.procs {
		if p.running() {
			out = append(out, p)
		}
	}
	return out
}

// expectedComments maps every live record of the mapped objects: comment
// ID → the (subject, body) CM must hold.
func (w *faultWorld) expectedComments(t *testing.T) map[string][2]string {
	t.Helper()
	want := map[string][2]string{}
	for _, object := range faultObjects {
		for _, r := range w.sim.Org.Records(object) {
			if r.IsDeleted() {
				continue
			}
			res, err := w.mapper.Map(mapper.Record{Object: object, ID: r.ID(), Fields: map[string]any(r.Fields)})
			if err != nil {
				// An unmappable record is dead-lettered by the daemon,
				// never uploaded: CM must not hold it either.
				continue
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

// cmDiff describes how CM differs from want ("" when it matches).
func (w *faultWorld) cmDiff(want map[string][2]string) string {
	var diffs []string
	seen := map[string]bool{}
	for _, c := range w.cm.Comments(faultProject, faultSource) {
		seen[c.ID] = true
		exp, ok := want[c.ID]
		switch {
		case !ok:
			diffs = append(diffs, "comment of a deleted or unknown record: "+c.ID)
		case len(c.Messages) != 1:
			diffs = append(diffs, fmt.Sprintf("%s has %d messages", c.ID, len(c.Messages)))
		case c.Messages[0].Subject != exp[0] || c.Messages[0].Body != exp[1]:
			diffs = append(diffs, fmt.Sprintf("%s is stale: subject %q, want %q", c.ID, c.Messages[0].Subject, exp[0]))
		}
	}
	for id := range want {
		if !seen[id] {
			diffs = append(diffs, "missing comment "+id)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("… and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "\n")
}

// explainDiff explains the first few comments that differ from want.
func (w *faultWorld) explainDiff(want map[string][2]string) string {
	var ids []string
	inCM := map[string]bool{}
	for _, c := range w.cm.Comments(faultProject, faultSource) {
		inCM[c.ID] = true
		if exp, ok := want[c.ID]; !ok || len(c.Messages) != 1 || c.Messages[0].Subject != exp[0] || c.Messages[0].Body != exp[1] {
			ids = append(ids, c.ID)
		}
	}
	for id := range want {
		if !inCM[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids[:min(len(ids), 5)] {
		b.WriteString(w.explain(id))
	}
	return b.String()
}

// checkOneWriter fails when two streams of one topic were both requesting
// events at once: each received a FetchRequest while the other was open.
// A process frozen by SIGSTOP holds its stream open but requests nothing,
// so it does not count until it wakes and asks again. It returns the most
// streams of one topic open at once.
func (w *faultWorld) checkOneWriter(t *testing.T) int {
	t.Helper()
	streams := w.pubsub.snapshot()
	end := time.Now()
	byTopic := map[string][]streamRecord{}
	for _, s := range streams {
		if s.closed.IsZero() {
			s.closed = end
		}
		byTopic[s.topic] = append(byTopic[s.topic], s)
	}
	maxOpen := 0
	for topic, list := range byTopic {
		for i := range list {
			open := 1
			for j := range list {
				if i == j {
					continue
				}
				a, b := list[i], list[j]
				if b.opened.Before(a.opened) || b.opened.Equal(a.opened) && j < i {
					if b.closed.After(a.opened) {
						open++
					}
				}
				if j > i && requestedWithin(a, b) != nil && requestedWithin(b, a) != nil {
					t.Errorf("I4: two streams of %s requested events at the same time: one open %s–%s, asking at %s while the other was open; the other open %s–%s, asking at %s%s",
						topic, clock(a.opened), clock(a.closed), clocks(requestedWithin(a, b)),
						clock(b.opened), clock(b.closed), clocks(requestedWithin(b, a)), w.eventLog())
				}
			}
			maxOpen = max(maxOpen, open)
		}
	}
	return maxOpen
}

// requestedWithin lists the FetchRequests a received while b was open.
func requestedWithin(a, b streamRecord) []time.Time {
	var out []time.Time
	for _, at := range a.requests {
		if at.After(b.opened) && at.Before(b.closed) {
			out = append(out, at)
		}
	}
	return out
}

func clock(t time.Time) string { return t.Format("15:04:05.000") }

func clocks(ts []time.Time) string {
	var s []string
	for _, t := range ts {
		s = append(s, clock(t))
	}
	return strings.Join(s, ",")
}

// secrets are the values no output may contain.
func (w *faultWorld) secrets() map[string]string {
	return map[string]string{
		"the connected app's client secret": w.sim.REST.App().ClientSecret,
		"the CM API token":                  w.cm.Token(),
		"the sim's demo access token":       w.sim.AccessToken,
		// Every session ID the org issues starts with the 15-character org
		// ID and '!', so this catches the tokens the process obtained.
		"a Salesforce session ID": w.sim.Org.ID()[:15] + "!",
	}
}

// scrapeMetrics reads /metrics of every running process that serves it.
func (w *faultWorld) scrapeMetrics(t *testing.T) string {
	t.Helper()
	if !runHasListenFlag(t) {
		return ""
	}
	var all strings.Builder
	for _, p := range w.running() {
		addr := ""
		for i, a := range p.cmd.Args {
			if a == "--listen" && i+1 < len(p.cmd.Args) {
				addr = p.cmd.Args[i+1]
			}
		}
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Errorf("scrape %s /metrics: %v", p.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		all.Write(b)
	}
	return all.String()
}

// checkNoSecrets greps the processes' output, every Redis key of the
// store and the metrics for the secrets.
func (w *faultWorld) checkNoSecrets(t *testing.T, metrics string) {
	t.Helper()
	sources := map[string]string{"/metrics": metrics, "Redis": w.redisDump(t)}
	w.mu.Lock()
	for i, p := range w.procs {
		sources[fmt.Sprintf("the output of process %d (%s)", i, p.name)] = p.out.String()
	}
	w.mu.Unlock()
	for where, text := range sources {
		for what, secret := range w.secrets() {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("I5: %s appears in %s", what, where)
			}
		}
	}
}

// redisDump renders every key under the store's prefix with its value.
func (w *faultWorld) redisDump(t *testing.T) string {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: w.redis.addr})
	defer client.Close()
	ctx := context.Background()
	var b strings.Builder
	iter := client.Scan(ctx, 0, w.prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		fmt.Fprintf(&b, "%s ", key)
		switch client.Type(ctx, key).Val() {
		case "string":
			b.WriteString(client.Get(ctx, key).Val())
		case "hash":
			fmt.Fprint(&b, client.HGetAll(ctx, key).Val())
		case "list":
			fmt.Fprint(&b, client.LRange(ctx, key, 0, -1).Val())
		case "set":
			fmt.Fprint(&b, client.SMembers(ctx, key).Val())
		case "zset":
			fmt.Fprint(&b, client.ZRange(ctx, key, 0, -1).Val())
		case "stream":
			fmt.Fprint(&b, client.XRange(ctx, key, "-", "+").Val())
		}
		b.WriteByte('\n')
	}
	if err := iter.Err(); err != nil {
		t.Errorf("read Redis for the secret check: %v", err)
	}
	return b.String()
}
