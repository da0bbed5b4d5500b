package demo

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// latencies measures, per record change, the time from its commit to CM
// accepting its comment. A comment's pending start is its oldest change
// not yet received, so a receipt answers every change it carries; a
// delete forgets the pending start (CM never receives that version).
type latencies struct {
	mu      sync.Mutex
	pending map[string]time.Time
	got     []time.Duration
}

func newLatencies() *latencies { return &latencies{pending: map[string]time.Time{}} }

func (l *latencies) changed(commentID string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[commentID]; !ok {
		l.pending[commentID] = at
	}
}

func (l *latencies) deleted(commentID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pending, commentID)
}

func (l *latencies) received(commentID string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if start, ok := l.pending[commentID]; ok {
		l.got = append(l.got, at.Sub(start))
		delete(l.pending, commentID)
	}
}

// percentiles returns p50 and p99 in milliseconds; ok is false when CM
// received no change (a replay pass sends nothing), which has no latency.
func (l *latencies) percentiles() (p50, p99 float64, ok bool) {
	l.mu.Lock()
	got := slices.Clone(l.got)
	l.mu.Unlock()
	if len(got) == 0 {
		return 0, 0, false
	}
	slices.Sort(got)
	at := func(q float64) float64 {
		return float64(got[int(q*float64(len(got)-1))].Microseconds()) / 1000
	}
	return at(0.50), at(0.99), true
}

// PeakRSSMB is the process's peak resident set: VmHWM on Linux, the
// rusage maximum elsewhere.
func PeakRSSMB() float64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				if err == nil {
					return kb / 1024
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		return float64(ru.Maxrss) / 1024 // kilobytes on Linux and the BSDs
	}
	return 0
}
