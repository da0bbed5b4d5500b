//go:build unix

package serve_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
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
)

// The benchmark of issue 16 (figures for the report, never an assertion):
//
//	go test ./serve -run XXX -bench ThousandIntegrations -benchtime 1x -timeout 30m
//
// One instance serves -bench-integrations integrations (one simulated org
// and CM source each, three topics each) of a world started in this
// process; it reports the time from Serve's start to every unit
// streaming, the process's RSS and CPU while idle, then -bench-busy of
// them at -bench-rate events/s each for -bench-busy-for: CM's accepted
// comments per second and the p99 from commit to CM per busy integration.
// The simulators run in this process: their idle cost is nil (sfcdc sim
// --orgs 1000 idles at 0 ticks in 30 s), and the RSS before Serve starts
// is reported so Serve's own share can be told apart.
var (
	benchIntegrations = flag.Int("bench-integrations", 1000, "integrations of BenchmarkThousandIntegrations")
	benchBusy         = flag.Int("bench-busy", 20, "busy integrations of BenchmarkThousandIntegrations")
	benchRate         = flag.Float64("bench-rate", 500, "events/s in each busy org")
	benchIdle         = flag.Duration("bench-idle", 30*time.Second, "idle window over which CPU is measured")
	benchBusyFor      = flag.Duration("bench-busy-for", 30*time.Second, "how long the busy orgs generate")
	benchProfile      = flag.String("bench-idle-profile", "", "write a CPU profile of the idle window here (and its goroutines to FILE.goroutines)")
)

// benchObjects are each integration's three topics.
var benchObjects = []string{"Case", "EmailMessage", "Task"}

func BenchmarkThousandIntegrations(b *testing.B) {
	for b.Loop() {
		thousandIntegrations(b)
	}
}

func thousandIntegrations(b *testing.B) {
	n, busy := *benchIntegrations, min(*benchBusy, *benchIntegrations)
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: n, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(1000 + i)} }})
	if err != nil {
		b.Fatal(err)
	}
	defer world.Close()
	lat := newBenchLatencies()
	cm, err := commsmining.Start(commsmining.Options{Lean: true, OnReceipt: lat.received})
	if err != nil {
		b.Fatal(err)
	}
	defer cm.Close()
	store, _, _ := simworld.NewRedisStore(b)
	keys := testKeys(b)
	reg := registry.New(store, keys)
	specs := make([]integration.Spec, 0, n)
	for i, org := range world.Orgs {
		sp := orgSpec(world, org, cm, fmt.Sprintf("bench-%04d", i), benchObjects...)
		sp.Run = integration.Run{Start: "earliest"} // the defaults of a real deployment otherwise
		specs = append(specs, sp)
	}
	for chunk := range slices.Chunk(specs, 100) {
		if _, err := reg.Apply(b.Context(), chunk); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	before := procStatus(b, "VmRSS")

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *serve.Scheduler, 1)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "bench", Listen: "127.0.0.1:0"},
			serve.Deps{Store: store, Keys: keys, Started: func(s *serve.Scheduler) { started <- s }})
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
	cpu0, wall0 := processCPU(b), time.Now()
	time.Sleep(*benchIdle)
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
	idle := float64(processCPU(b)-cpu0) / float64(time.Since(wall0)) * 100
	rss := procStatus(b, "VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("Go memory: heap in use %.0f MB, stacks %.0f MB, from the OS %.0f MB", float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	b.ReportMetric(idle, "%core-idle")
	b.ReportMetric(rss, "MB-RSS-idle")
	b.Logf("idle over %s: %.2f %% of one core; RSS %.0f MB (%.0f MB before Serve: the simulators), peak %.0f MB; %d goroutines",
		*benchIdle, idle, rss, before, procStatus(b, "VmHWM"), runtime.NumGoroutine())

	if busy == 0 {
		return
	}
	genCtx, stopGen := context.WithCancel(ctx)
	busyStart := time.Now()
	var wg sync.WaitGroup
	for i := range busy {
		org, source := world.Orgs[i], specs[i].CommsMining.Source
		// As `sfcdc sim` keeps its orgs: the newest 10,000 events,
		// compressed, so the simulators' memory stays flat (50,000
		// uncompressed events in each of 20 orgs took 5 GB).
		org.Bus.SetMaxRetained(10_000)
		org.Bus.SetCompressed(true)
		gen := sfsim.NewGenerator(org.Org, uint64(7+i))
		gen.SetWorkingSet(500, 10_000)
		gen.OnCommit = func(c sfsim.Commit) { lat.committed(source, c) }
		wg.Add(1)
		go func() { defer wg.Done(); _ = gen.Run(genCtx, *benchRate) }()
	}
	time.Sleep(*benchBusyFor)
	if *benchProfile != "" {
		if f, err := os.Create(*benchProfile + ".busyheap"); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	stopGen()
	wg.Wait()
	busyEnd := time.Now()
	// Let what was generated reach CM: until nothing more arrives for 2 s
	// (a change whose comment did not change is skipped, never received).
	for last, still := -1, time.Now(); time.Since(still) < 2*time.Second; time.Sleep(200 * time.Millisecond) {
		if p := lat.pendingCount(); p != last {
			last, still = p, time.Now()
		}
	}
	var worstP99, sumRate float64
	for i := range busy {
		source := specs[i].CommsMining.Source
		got, p50, p99, pending, generated := lat.figures(source)
		rate := float64(got) / busyEnd.Sub(busyStart).Seconds()
		sumRate += rate
		worstP99 = max(worstP99, p99)
		b.Logf("%s: %d mapped events generated, %d reached CM (%.0f/s over the busy window), %d still pending; commit→CM p50 %.0f ms, p99 %.0f ms",
			source, generated, got, rate, pending, p50, p99)
	}
	b.ReportMetric(sumRate/float64(busy), "comments/s-per-busy")
	b.ReportMetric(worstP99, "ms-worst-p99")
	b.ReportMetric(procStatus(b, "VmHWM"), "MB-peak-RSS")
	b.Logf("peak RSS %.0f MB", procStatus(b, "VmHWM"))
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
