//go:build unix

package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// The benchmark of issue 16 (figures for the report, never an assertion):
//
//	go test ./serve -run XXX -bench ThousandIntegrations -benchtime 1x -timeout 30m
//
// One instance serves -bench-integrations integrations (one simulated org
// and CM source each, three topics each); it reports the time from
// Serve's start to every unit streaming, the instance's RSS and CPU while
// idle, then -bench-busy of them at -bench-rate events/s each for
// -bench-busy-for: CM's accepted comments per second and the p99 from
// commit to CM per busy integration.
//
// The simulators (the world of orgs, CM, the busy orgs' generators and the
// commit→CM clock) run in a child process, this test binary started again
// with SERVEBENCH_SIMULATORS set: this process runs Serve alone, so its
// RSS and CPU (getrusage RUSAGE_SELF counts no child) are the instance's
// own. The child prints the integrations' endpoints as one JSON line,
// then answers each "busy K RATE DURATION" line on its stdin with the
// figures as one JSON line; it exits when its stdin closes.
var (
	benchIntegrations = flag.Int("bench-integrations", 1000, "integrations of BenchmarkThousandIntegrations")
	benchBusy         = flag.Int("bench-busy", 20, "busy integrations of BenchmarkThousandIntegrations")
	benchRate         = flag.Float64("bench-rate", 500, "events/s in each busy org")
	benchIdle         = flag.Duration("bench-idle", 30*time.Second, "idle window over which CPU is measured")
	benchBusyFor      = flag.Duration("bench-busy-for", 30*time.Second, "how long the busy orgs generate")
	benchMemLimit     = flag.Int("bench-memory-limit-mb", 0, "the instance's memory_limit_mb, applied as sfcdc serve's edge does (0: its default, 3/4 of the container's or machine's memory)")
	benchProfile      = flag.String("bench-idle-profile", "", "write a CPU profile of the idle window here (and its goroutines to FILE.goroutines)")
)

// benchObjects are each integration's three topics.
var benchObjects = []string{"Case", "EmailMessage", "Task"}

// simChildEnv marks the simulator child (its value: how many orgs).
const simChildEnv = "SERVEBENCH_SIMULATORS"

func TestMain(m *testing.M) {
	if n := os.Getenv(simChildEnv); n != "" {
		os.Exit(runSimChild(n))
	}
	os.Exit(m.Run())
}

// benchOrg is what the instance needs of one simulated org and its source.
type benchOrg struct {
	PubSub, Token, InstanceURL, Tenant, CMURL, CMToken, Source string
}

// benchBusyFigures are one busy integration's figures from the child.
type benchBusyFigures struct {
	Source                  string
	Got, Pending, Generated int
	P50, P99, Seconds       float64
}

func BenchmarkThousandIntegrations(b *testing.B) {
	for b.Loop() {
		thousandIntegrations(b)
	}
}

// simChild is the running simulator process.
type simChild struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	orgs []benchOrg
}

func startSimChild(b *testing.B, n int) *simChild {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), simChildEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &simChild{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	c.out.Buffer(nil, 64<<20)
	if !c.out.Scan() {
		c.close()
		b.Fatalf("simulator child said nothing: %v", c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), &c.orgs); err != nil {
		c.close()
		b.Fatalf("simulator child: %v", err)
	}
	return c
}

func (c *simChild) close() {
	c.in.Close()
	_ = c.cmd.Wait()
}

// busy asks the child to run k busy orgs and waits for their figures.
func (c *simChild) busy(b *testing.B, k int, rate float64, d time.Duration) []benchBusyFigures {
	if _, err := fmt.Fprintf(c.in, "busy %d %g %s\n", k, rate, d); err != nil {
		b.Fatal(err)
	}
	if !c.out.Scan() {
		b.Fatalf("simulator child ended: %v", c.out.Err())
	}
	var figs []benchBusyFigures
	if err := json.Unmarshal(c.out.Bytes(), &figs); err != nil {
		b.Fatal(err)
	}
	return figs
}

func thousandIntegrations(b *testing.B) {
	n, busy := *benchIntegrations, min(*benchBusy, *benchIntegrations)
	child := startSimChild(b, n)
	defer child.close()
	store, _, _ := simworld.NewRedisStore(b)
	keys := testKeys(b)
	reg := registry.New(store, keys)
	specs := make([]integration.Spec, 0, n)
	for _, o := range child.orgs {
		host, _ := url.Parse(o.InstanceURL)
		var oms []mapper.ObjectMapping
		for _, obj := range benchObjects {
			oms = append(oms, mapper.ObjectMapping{Object: obj})
		}
		specs = append(specs, integration.Spec{
			Name: "acme/" + o.Source,
			Salesforce: integration.Salesforce{PubSubEndpoint: o.PubSub, Insecure: true,
				AccessToken: o.Token, InstanceURL: o.InstanceURL, TenantID: o.Tenant,
				Auth: integration.Auth{TrustedHosts: []string{host.Hostname()}}},
			CommsMining: uploader.Config{BaseURL: o.CMURL, Token: uploader.Secret(o.CMToken), Project: "acme", Source: o.Source,
				Linger: 10 * time.Millisecond},
			Objects: oms,
			// The defaults of a real deployment otherwise.
			Run: integration.Run{Start: "earliest"},
		})
	}
	for chunk := range slices.Chunk(specs, 100) {
		if _, err := reg.Apply(b.Context(), chunk); err != nil {
			b.Fatal(err)
		}
	}
	// As the edge does (cmd/sfcdc: runServe).
	settings := serve.Settings{Instance: "bench", Listen: "127.0.0.1:0", MemoryLimitMB: *benchMemLimit}
	if limit := serve.MemoryLimit(settings, func(k string) (string, bool) { return os.LookupEnv(k) }); limit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
		b.Logf("soft memory limit %d MB", limit>>20)
	}
	runtime.GC()
	before := procStatus(b, "VmRSS")

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *serve.Scheduler, 1)
	listening := make(chan string, 1)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		done <- serve.Serve(ctx, settings,
			serve.Deps{Store: store, Keys: keys, Started: func(s *serve.Scheduler) { started <- s },
				Listening: func(addr string) { listening <- addr }})
	}()
	defer func() { cancel(); <-done }()
	sched := <-started
	for !allStreaming(sched.Running(), n, len(benchObjects)+1) {
		time.Sleep(100 * time.Millisecond)
	}
	startup := time.Since(t0)
	b.ReportMetric(startup.Seconds(), "s-to-all-streaming")
	b.Logf("%d integrations × %d topics: every unit streaming %.1f s after Serve started", n, len(benchObjects), startup.Seconds())

	time.Sleep(5 * time.Second) // the first status writes and lease renewals pass
	if *benchProfile != "" {
		f, err := os.Create(*benchProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
	}
	cpu0, wall0, wakes0, spawned0, machine0 := processCPU(b), time.Now(), contextSwitches(b), goroutinesCreated(), machineCPU(b)
	time.Sleep(*benchIdle)
	idleFor := time.Since(wall0)
	idle := float64(processCPU(b)-cpu0) / float64(idleFor) * 100
	// The rest of the machine's load in the window: an instance sharing
	// the cores with busy processes wakes less often (its timers fire in
	// bunches), so its share reads lower than on a quiet machine.
	others := float64(machineCPU(b)-machine0-(processCPU(b)-cpu0)) / float64(idleFor) * 100
	// What an idle instance costs is mostly how often it wakes (each timer
	// that fires, each round trip answered): a figure that, unlike the CPU
	// share, hardly depends on how busy the rest of the machine is.
	wakes := float64(contextSwitches(b)-wakes0) / idleFor.Seconds()
	spawned := float64(goroutinesCreated()-spawned0) / idleFor.Seconds()
	if *benchProfile != "" {
		pprof.StopCPUProfile()
		if f, err := os.Create(*benchProfile + ".goroutines"); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
		runtime.GC()
		if f, err := os.Create(*benchProfile + ".heap"); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	rss := procStatus(b, "VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("Go memory: heap in use %.0f MB, stacks %.0f MB, from the OS %.0f MB", float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	b.ReportMetric(idle, "%core-idle")
	b.ReportMetric(wakes, "switches/s-idle")
	b.ReportMetric(others, "%core-others-idle")
	b.ReportMetric(spawned, "goroutines-created/s-idle")
	b.ReportMetric(rss, "MB-RSS-idle")
	b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
	b.Logf("instance alone (simulators in process %d), idle over %s: %.2f %% of one core, %.0f context switches/s, %.0f goroutines created/s; RSS %.0f MB (%.0f MB before Serve), peak %.0f MB; %d goroutines; the rest of the machine (simulators, Redis, anything else) used %.1f %% of one core meanwhile",
		child.cmd.Process.Pid, *benchIdle, idle, wakes, spawned, rss, before, procStatus(b, "VmHWM"), runtime.NumGoroutine(), others)

	// The operator console's list of every integration, as a person
	// opening it (the page) or a script (the JSON) would.
	addr := <-listening
	for _, path := range []string{"/", "/api/v1/integrations"} {
		began := time.Now()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			b.Fatal(err)
		}
		size, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(began)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %s", path, resp.Status)
		}
		b.Logf("the console's GET %s with %d integrations: %s, %d KB", path, n, took.Round(time.Millisecond), size/1024)
		b.ReportMetric(float64(took.Milliseconds()), "ms-GET-"+strings.Trim(strings.ReplaceAll(path, "/", "-"), "-")+"-list")
	}

	if busy == 0 {
		return
	}
	cpuBusy0 := processCPU(b)
	if *benchProfile != "" {
		// The instance's heap as the busy window ends.
		at := time.AfterFunc(*benchBusyFor, func() {
			if f, err := os.Create(*benchProfile + ".busyheap"); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		})
		defer at.Stop()
	}
	figs := child.busy(b, busy, *benchRate, *benchBusyFor)
	var worstP99, sumRate, sumEvents float64
	for _, f := range figs {
		rate, events := float64(f.Got)/f.Seconds, float64(f.Generated)/f.Seconds
		sumRate += rate
		sumEvents += events
		worstP99 = max(worstP99, f.P99)
		b.Logf("%s: %d mapped events generated (%.0f/s), %d comments reached CM (%.0f/s over the busy window; the changes of one record between two syncs make one), %d still pending; commit→CM p50 %.0f ms, p99 %.0f ms",
			f.Source, f.Generated, events, f.Got, rate, f.Pending, f.P50, f.P99)
	}
	b.ReportMetric(sumEvents/float64(busy), "events/s-per-busy")
	b.ReportMetric(sumRate/float64(busy), "comments/s-per-busy")
	b.ReportMetric(worstP99, "ms-worst-p99")
	b.ReportMetric(procStatus(b, "VmHWM"), "MB-peak-RSS")
	b.Logf("busy: instance CPU %.1f s; peak RSS %.0f MB", (processCPU(b) - cpuBusy0).Seconds(), procStatus(b, "VmHWM"))
}

// runSimChild is the simulator process: n orgs and CM, their endpoints
// printed, then busy windows on demand (see BenchmarkThousandIntegrations).
func runSimChild(arg string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "simulator child:", err); return 1 }
	n, err := strconv.Atoi(arg)
	if err != nil {
		return fail(err)
	}
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: n, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(1000 + i)} }})
	if err != nil {
		return fail(err)
	}
	defer world.Close()
	lat := newBenchLatencies()
	cm, err := commsmining.Start(commsmining.Options{Lean: true, OnReceipt: lat.received})
	if err != nil {
		return fail(err)
	}
	defer cm.Close()
	orgs := make([]benchOrg, n)
	for i, org := range world.Orgs {
		source := fmt.Sprintf("bench-%04d", i)
		cm.CreateSource("acme", source)
		orgs[i] = benchOrg{PubSub: world.PubSub.Addr(), Token: org.AccessToken, InstanceURL: org.InstanceURL,
			Tenant: org.Org.ID(), CMURL: cm.URL(), CMToken: cm.Token(), Source: source}
	}
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(orgs); err != nil {
		return fail(err)
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var k int
		var rate float64
		var d time.Duration
		var ds string
		if _, err := fmt.Sscanf(in.Text(), "busy %d %g %s", &k, &rate, &ds); err != nil {
			return fail(err)
		}
		if d, err = time.ParseDuration(ds); err != nil {
			return fail(err)
		}
		if err := out.Encode(simBusy(world, lat, orgs, k, rate, d)); err != nil {
			return fail(err)
		}
	}
	return 0
}

// simBusy runs k orgs at rate events/s for d and waits for CM to stop
// receiving; the figures are per busy org's source.
func simBusy(world *sfsim.World, lat *benchLatencies, orgs []benchOrg, k int, rate float64, d time.Duration) []benchBusyFigures {
	ctx, stop := context.WithCancel(context.Background())
	start := time.Now()
	var wg sync.WaitGroup
	for i := range min(k, len(orgs)) {
		org, source := world.Orgs[i], orgs[i].Source
		// As `sfcdc sim` keeps its orgs: the newest 10,000 events,
		// compressed, so the simulators' memory stays flat.
		org.Bus.SetMaxRetained(10_000)
		org.Bus.SetCompressed(true)
		gen := sfsim.NewGenerator(org.Org, uint64(7+i))
		gen.SetWorkingSet(500, 10_000)
		gen.OnCommit = func(c sfsim.Commit) { lat.committed(source, c) }
		wg.Add(1)
		go func() { defer wg.Done(); _ = gen.Run(ctx, rate) }()
	}
	time.Sleep(d)
	stop()
	wg.Wait()
	secs := time.Since(start).Seconds()
	// Let what was generated reach CM: until nothing more arrives for 2 s
	// (a change whose comment did not change is skipped, never received).
	for last, still := -1, time.Now(); time.Since(still) < 2*time.Second; time.Sleep(200 * time.Millisecond) {
		if p := lat.pendingCount(); p != last {
			last, still = p, time.Now()
		}
	}
	figs := make([]benchBusyFigures, 0, k)
	for i := range min(k, len(orgs)) {
		got, p50, p99, pending, generated := lat.figures(orgs[i].Source)
		figs = append(figs, benchBusyFigures{Source: orgs[i].Source, Got: got, Pending: pending, Generated: generated,
			P50: p50, P99: p99, Seconds: secs})
	}
	return figs
}

// allStreaming: n integrations run here, each with all its units,
// every one streaming.
func allStreaming(reps []serve.Report, n, units int) bool {
	if len(reps) != n {
		return false
	}
	for _, r := range reps {
		if r.Name != serve.StateStreaming || len(r.Units) != units {
			return false
		}
	}
	return true
}

// processCPU is this process's user+system CPU time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time every process of the machine has used since
// boot (/proc/stat: user, nice, system, irq, softirq, steal).
func machineCPU(b *testing.B) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("/proc/stat begins %q, want the cpu line", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// contextSwitches is how often this process's threads have given up the
// CPU (voluntarily: to sleep; or preempted) since it started.
func contextSwitches(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Nvcsw + ru.Nivcsw
}

// goroutinesCreated is how many goroutines this process has started (each
// timer of time.AfterFunc that fires starts one).
func goroutinesCreated() uint64 {
	sample := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// procStatus is a kB line of /proc/self/status in MB.
func procStatus(b *testing.B, key string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// benchLatencies measures, per CM source, the time from a record
// change's commit to CM accepting its comment (the first pending change
// of a comment answers for the later ones it carries).
type benchLatencies struct {
	mu        sync.Mutex
	pending   map[string]map[string]time.Time // source → comment → first commit
	got       map[string][]time.Duration
	generated map[string]int
}

func newBenchLatencies() *benchLatencies {
	return &benchLatencies{pending: map[string]map[string]time.Time{}, got: map[string][]time.Duration{}, generated: map[string]int{}}
}

func (l *benchLatencies) committed(source string, c sfsim.Commit) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending[source]
	if p == nil {
		p = map[string]time.Time{}
		l.pending[source] = p
	}
	for _, ev := range c.Events {
		h := ev.Header
		if !slices.Contains(benchObjects, h.EntityName) {
			continue
		}
		l.generated[source]++
		for _, id := range h.RecordIDs {
			cid := mapper.CommentID(h.EntityName, id)
			switch h.ChangeType {
			case sfsim.ChangeDelete:
				delete(p, cid)
			default:
				if _, ok := p[cid]; !ok {
					p[cid] = now
				}
			}
		}
	}
}

func (l *benchLatencies) received(r commsmining.Receipt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if start, ok := l.pending[r.Source][r.CommentID]; ok {
		l.got[r.Source] = append(l.got[r.Source], r.At.Sub(start))
		delete(l.pending[r.Source], r.CommentID)
	}
}

func (l *benchLatencies) pendingCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.pending {
		n += len(p)
	}
	return n
}

func (l *benchLatencies) figures(source string) (got int, p50, p99 float64, pending, generated int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := slices.Clone(l.got[source])
	slices.Sort(d)
	at := func(q float64) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	return len(d), at(0.5), at(0.99), len(l.pending[source]), l.generated[source]
}
