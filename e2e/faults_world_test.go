package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/sfcdc/sfcdc/mapper"
	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// The fault suite's world: a simulated org, its Pub/Sub endpoint behind a
// stream counter, the simulated CM, Redis, and `sfcdc run` processes built
// with failpoints. Everything listens on loopback; the simulators run in
// the test process so faults can be injected while the daemon streams.

const (
	faultProject = "sfcdc"
	faultSource  = "salesforce"
	// faultRate is the generator's steady traffic: modest, so the suite
	// stays within a few minutes on a shared 2-core machine.
	faultRate = 100
	// faultLeaseTTL is short so takeovers happen within seconds.
	faultLeaseTTL = 2 * time.Second
)

var faultObjects = []string{"EmailMessage", "Case", "Task"}

// faultTopics are the change event channels of faultObjects.
var faultTopics = []string{"/data/EmailMessageChangeEvent", "/data/CaseChangeEvent", "/data/TaskChangeEvent"}

var (
	listenFlagOnce sync.Once
	listenFlag     bool
)

// runHasListenFlag reports whether `sfcdc run` serves /metrics (--listen),
// so the secret check scrapes it once the monitoring work has landed.
func runHasListenFlag(t *testing.T) bool {
	listenFlagOnce.Do(func() {
		out, _ := exec.Command(sfcdcBinary, "run", "--help").CombinedOutput()
		listenFlag = strings.Contains(string(out), "--listen")
	})
	return listenFlag
}

// faultWorld is one scenario's world.
type faultWorld struct {
	t      *testing.T
	sim    *sfsim.Sim
	cm     *commsmining.Server
	pubsub *streamCounter
	redis  *faultRedis
	prefix string
	store  *replay.RedisStore
	mapper *mapper.Mapper
	config string
	mon    *checkpointMonitor

	genCancel context.CancelFunc
	genDone   chan struct{}

	mu      sync.Mutex
	procs   []*faultProc
	events  []string            // what the nemesis did when, for failure messages
	history map[string][]string // record ID → its change events, for failure messages
}

// note records a nemesis action with its time.
func (w *faultWorld) note(what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, clock(time.Now())+" "+what)
}

func (w *faultWorld) eventLog() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.events) == 0 {
		return ""
	}
	return "\nnemesis: " + strings.Join(w.events, "; ")
}

// worldOptions tune a world.
type worldOptions struct {
	privateRedis bool          // a redis-server of the scenario's own (it will be stopped)
	start        string        // run.start; zero: earliest
	leaseTTL     time.Duration // run.lease_ttl; zero: faultLeaseTTL
	extraRun     string        // more keys under run:
}

func newFaultWorld(t *testing.T, opts worldOptions) *faultWorld {
	t.Helper()
	w := &faultWorld{t: t}
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 7}, PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem"), Keepalive: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	w.sim = s
	w.pubsub = startStreamCounter(t, s)
	w.cm, err = commsmining.Start(commsmining.Options{Sources: []string{faultProject + "/" + faultSource},
		RejectUnknownFields: true, RecordReceipts: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cm.Close() })

	if opts.privateRedis {
		w.redis = startPrivateRedis(t)
		w.prefix = "sfcdcfaults:"
	} else {
		w.redis = &faultRedis{addr: testRedisAddr()}
		w.prefix = redisKeyPrefix(t)
	}
	client := redis.NewClient(&redis.Options{Addr: w.redis.addr, DialTimeout: time.Second, ReadTimeout: time.Second,
		WriteTimeout: time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	if w.store, err = replay.NewRedisStore(client, replay.RedisOptions{KeyPrefix: w.prefix, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	var objects []mapper.ObjectMapping
	for _, o := range faultObjects {
		objects = append(objects, mapper.ObjectMapping{Object: o})
	}
	if w.mapper, err = mapper.New(mapper.Config{Objects: objects}); err != nil {
		t.Fatal(err)
	}
	if opts.start == "" {
		opts.start = "earliest"
	}
	if opts.leaseTTL == 0 {
		opts.leaseTTL = faultLeaseTTL
	}
	w.config = w.writeConfig(opts.start, opts.leaseTTL, opts.extraRun)
	w.mon = startCheckpointMonitor(t, w.store, s.Org.ID(), faultTopics)
	t.Cleanup(w.stopTraffic)
	return w
}

// writeConfig is the `sfcdc run` configuration: client credentials against
// the simulated org (so tokens can be revoked and refreshed), the counted
// Pub/Sub endpoint, short lease, flush and backoff settings.
func (w *faultWorld) writeConfig(start string, leaseTTL time.Duration, extraRun string) string {
	app := w.sim.REST.App()
	cfg := fmt.Sprintf(`salesforce:
  pubsub_endpoint: %s
  insecure: true
  ca_file: %s
  watchdog: 1s
  auth:
    flow: client_credentials
    login_url: %s
    client_id: %s
    client_secret: ${SFCDC_CLIENT_SECRET}
commsmining:
  base_url: %s
  token: ${TEST_CM_TOKEN}
  project: %s
  source: %s
  linger: 20ms
  request_timeout: 1s
  initial_backoff: 50ms
  max_backoff: 500ms
  max_retry_after: 2s
  shutdown_timeout: 2s
store:
  redis_url: redis://%s/0
  key_prefix: %q
  timeout: 1s
backfill:
  poll_interval: 200ms
objects:
  - object: EmailMessage
  - object: Case
  - object: Task
run:
  start: %s
  detect_polling: false
  lease_ttl: %s
  flush_interval: 100ms
  shutdown_grace: 10s
  recovery_overlap: 1m
  holder: ${TEST_HOLDER}
%s`, w.pubsub.addr, w.sim.PubSub.CAFile(), w.sim.LoginURL, app.ClientID, w.cm.URL(), faultProject, faultSource,
		w.redis.addr, w.prefix, start, leaseTTL, extraRun)
	return writeFile(w.t, "sfcdc-faults.yaml", cfg)
}

// env is the environment of an sfcdc process of this world: the secrets
// come from variables, never from the file or the command line.
func (w *faultWorld) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SFCDC_") && k != "SFCDC_TEST_REDIS_ADDR" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "SFCDC_CLIENT_SECRET="+w.sim.REST.App().ClientSecret, "TEST_CM_TOKEN="+w.cm.Token()), extra...)
}

// startTraffic runs the activity generator until stopTraffic.
func (w *faultWorld) startTraffic() {
	ctx, cancel := context.WithCancel(context.Background())
	w.genCancel, w.genDone = cancel, make(chan struct{})
	gen := sfsim.NewGenerator(w.sim.Org, 11)
	gen.OnCommit = w.recordHistory
	go func() {
		defer close(w.genDone)
		if err := gen.Run(ctx, faultRate); err != nil {
			w.t.Errorf("generator: %v", err)
		}
	}()
}

func (w *faultWorld) stopTraffic() {
	if w.genCancel != nil {
		w.genCancel()
		<-w.genDone
		w.genCancel = nil
	}
}

// recordHistory keeps each record's change events.
func (w *faultWorld) recordHistory(c sfsim.Commit) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.history == nil {
		w.history = map[string][]string{}
	}
	for _, ev := range c.Events {
		for _, id := range ev.Header.RecordIDs {
			w.history[id] = append(w.history[id], fmt.Sprintf("%s replay %d %s", clock(c.CommitTime), ev.ReplayID, ev.Header.ChangeType))
		}
	}
}

// explain describes what happened to the record behind a comment ID: its
// change events, CM's receipts for it, and the processes' log lines that
// name it.
func (w *faultWorld) explain(commentID string) string {
	recordID := commentID[strings.LastIndex(commentID, ".")+1:]
	var b strings.Builder
	w.mu.Lock()
	fmt.Fprintf(&b, "  %s: changes [%s]", commentID, strings.Join(w.history[recordID], "; "))
	var logs []string
	for _, p := range w.procs {
		for _, line := range strings.Split(p.out.String(), "\n") {
			if strings.Contains(line, recordID) {
				logs = append(logs, p.name+": "+line)
			}
		}
	}
	w.mu.Unlock()
	var receipts []string
	for _, r := range w.cm.Receipts() {
		if r.CommentID == commentID {
			receipts = append(receipts, clock(r.At)+" "+r.Result)
		}
	}
	fmt.Fprintf(&b, "; CM receipts [%s]; log lines %q\n", strings.Join(receipts, ", "), logs)
	return b.String()
}

// changes counts the change events of the mapped objects on the bus.
func (w *faultWorld) changes() int {
	keep := func(entity string) bool {
		for _, o := range faultObjects {
			if entity == o {
				return true
			}
		}
		return false
	}
	events, _ := w.sim.Bus.ReadAfter(0, keep, 1<<30, 1<<40)
	return len(events)
}

// tip is the bus's newest replay ID.
func (w *faultWorld) tip() uint64 { return w.sim.Bus.Tip() }

// faultProc is a started `sfcdc run`.
type faultProc struct {
	name   string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// startRun starts `sfcdc run` (the failpoint build) as holder name, with
// SFCDC_FAILPOINT=failpoint when not empty.
func (w *faultWorld) startRun(name, failpoint string) *faultProc {
	w.t.Helper()
	// --verbose: the suite reads single retries as evidence (a failed
	// forget of content hashes), and an outage's retries after its first
	// warning are logged at debug.
	args := []string{"run", "--config", w.config, "--verbose"}
	if runHasListenFlag(w.t) {
		args = append(args, "--listen", "127.0.0.1:"+freePort(w.t))
	}
	p := &faultProc{name: name, cmd: exec.Command(failpointBinary(w.t), args...), out: &syncBuffer{}, exited: make(chan struct{})}
	extra := []string{"TEST_HOLDER=" + name}
	if failpoint != "" {
		extra = append(extra, "SFCDC_FAILPOINT="+failpoint)
	}
	p.cmd.Env = w.env(extra...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	w.mu.Lock()
	w.procs = append(w.procs, p)
	w.mu.Unlock()
	w.t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT) // a paused process cannot die
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

func (p *faultProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// awaitKilled waits for the failpoint to SIGKILL the process.
func (p *faultProc) awaitKilled(t *testing.T, what string) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(45 * time.Second):
		t.Fatalf("%s: the failpoint did not fire within 45s:\n%s", what, tail(p.out.String()))
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s: the process ended with %v, not by its failpoint's SIGKILL:\n%s", what, p.cmd.ProcessState, tail(p.out.String()))
	}
}

// terminate sends SIGTERM and requires a clean exit 0 within the grace.
func (p *faultProc) terminate(t *testing.T) {
	t.Helper()
	if !p.running() {
		t.Fatalf("%s ended before SIGTERM (%v):\n%s", p.name, p.cmd.ProcessState, tail(p.out.String()))
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop within 20s of SIGTERM:\n%s", p.name, tail(p.out.String()))
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("%s exited %d after SIGTERM, want 0:\n%s", p.name, code, tail(p.out.String()))
	}
}

// dumpGoroutines makes a stuck process print its goroutines (SIGQUIT)
// into a file kept after the test, and says where.
func (p *faultProc) dumpGoroutines(t *testing.T) string {
	if !p.running() {
		return "exited: " + p.cmd.ProcessState.String()
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		return "still running; SIGQUIT did not end it"
	}
	f, err := os.CreateTemp("", "sfcdc-faults-"+p.name+"-*.log")
	if err != nil {
		return "goroutine dump lost: " + err.Error()
	}
	defer f.Close()
	_, _ = f.WriteString(p.out.String())
	return "was running; its goroutines are in " + f.Name()
}

func (p *faultProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// tail is the end of a process's output, for failure messages.
func tail(s string) string {
	const n = 6000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// eventually polls cond every 50ms until it holds or bound passes; then it
// fails with the processes' output (and a goroutine dump of each running
// one, kept in a file).
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool, procs ...*faultProc) {
	t.Helper()
	if !waitUntil(bound, cond) {
		t.Fatalf("gave up after %s waiting for %s\n%s", bound, what, procLogs(t, procs))
	}
}

// waitUntil polls cond every 50ms and reports whether it held within bound.
func waitUntil(bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func procLogs(t *testing.T, procs []*faultProc) string {
	var logs strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&logs, "--- %s (%s):\n%s\n", p.name, p.dumpGoroutines(t), tail(p.out.String()))
	}
	return logs.String()
}

// statusReport renders every topic's status document and checkpoint, for
// failure messages.
func (w *faultWorld) statusReport() string {
	var b strings.Builder
	ctx := context.Background()
	for _, topic := range faultTopics {
		st, err := w.store.Status(ctx, w.sim.Org.ID(), topic)
		cp, cpErr := w.store.Checkpoint(ctx, w.sim.Org.ID(), topic)
		fmt.Fprintf(&b, "%s: state %s holder %q received %d uploaded %d last error %q (%v); checkpoint %x written %s (%v)\n",
			topic, st.State, st.Holder, st.Events, st.Uploaded(), st.LastError, err, cp.ReplayID, clock(cp.WrittenAt), cpErr)
	}
	return b.String()
}

// commentCount is how many comments CM holds.
func (w *faultWorld) commentCount() int { return len(w.cm.Comments(faultProject, faultSource)) }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// streamCounter serves the simulated org's Pub/Sub API on a listener of
// its own, so it can see every Subscribe stream (topic, open and close
// times, each FetchRequest) and reset every connection at once.
type streamCounter struct {
	addr string
	lis  *trackedListener

	mu      sync.Mutex
	streams []*streamRecord
}

// streamRecord is one Subscribe stream as the server saw it.
type streamRecord struct {
	topic          string
	opened, closed time.Time   // closed is zero while open
	requests       []time.Time // every FetchRequest received, the first included
	events         int         // events sent
}

func startStreamCounter(t *testing.T, s *sfsim.Sim) *streamCounter {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &streamCounter{addr: lis.Addr().String(), lis: &trackedListener{Listener: lis, conns: map[net.Conn]bool{}}}
	srv := grpc.NewServer(append(sfsim.PubSubServerOptions(), grpc.StreamInterceptor(c.intercept))...)
	sfsim.RegisterPubSub(srv, s.Backend(), time.Second)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(c.lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return c
}

func (c *streamCounter) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasSuffix(info.FullMethod, "/Subscribe") {
		return handler(srv, ss)
	}
	rec := &streamRecord{opened: time.Now()}
	cs := &countedStream{ServerStream: ss, c: c, rec: rec}
	err := handler(srv, cs)
	c.mu.Lock()
	rec.closed = time.Now()
	c.mu.Unlock()
	return err
}

// countedStream records the stream's topic and requests.
type countedStream struct {
	grpc.ServerStream
	c   *streamCounter
	rec *streamRecord
}

func (s *countedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err != nil {
		return err
	}
	if req, ok := m.(*eventbusv1.FetchRequest); ok {
		s.c.mu.Lock()
		if s.rec.topic == "" && req.GetTopicName() != "" {
			s.rec.topic = req.GetTopicName()
			s.c.streams = append(s.c.streams, s.rec)
		}
		s.rec.requests = append(s.rec.requests, time.Now())
		s.c.mu.Unlock()
	}
	return nil
}

func (s *countedStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if resp, ok := m.(*eventbusv1.FetchResponse); ok && err == nil {
		s.c.mu.Lock()
		s.rec.events += len(resp.GetEvents())
		s.c.mu.Unlock()
	}
	return err
}

// resetAll closes every client connection, as a network failure would.
func (c *streamCounter) resetAll() int { return c.lis.resetAll() }

// snapshot copies the stream records.
func (c *streamCounter) snapshot() []streamRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]streamRecord, len(c.streams))
	for i, r := range c.streams {
		out[i] = *r
		out[i].requests = append([]time.Time(nil), r.requests...)
	}
	return out
}

// trackedListener remembers its connections so a test can reset them.
type trackedListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns[c] = true
	l.mu.Unlock()
	return c, nil
}

func (l *trackedListener) resetAll() int {
	l.mu.Lock()
	conns := l.conns
	l.conns = map[net.Conn]bool{}
	l.mu.Unlock()
	for c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		_ = c.Close()
	}
	return len(conns)
}

// faultRedis is the scenario's Redis: the shared one, or a private
// redis-server (AOF, fsync always) that the scenario may stop and start
// again on the same port.
type faultRedis struct {
	addr string
	dir  string
	port string
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrivateRedis(t *testing.T) *faultRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the Redis scenarios need redis-server (apt-get install redis-server): %v", err)
	}
	r := &faultRedis{dir: t.TempDir(), port: freePort(t)}
	r.addr = "127.0.0.1:" + r.port
	r.start(t, bin)
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *faultRedis) start(t *testing.T, bin string) {
	t.Helper()
	if bin == "" {
		bin, _ = exec.LookPath("redis-server")
	}
	r.cmd = exec.Command(bin, "--port", r.port, "--bind", "127.0.0.1", "--dir", r.dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.done)
	client := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer client.Close()
	eventually(t, 10*time.Second, "the private redis-server to answer", func() bool {
		return client.Ping(context.Background()).Err() == nil
	})
}

// stop shuts the server down (SIGTERM: it finishes its AOF) and waits.
func (r *faultRedis) stop(t *testing.T) {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// hexReplayID renders a sim replay ID as `sfcdc replay set` takes it.
func hexReplayID(id uint64) string { return hex.EncodeToString(sfsim.EncodeReplayID(id)) }
