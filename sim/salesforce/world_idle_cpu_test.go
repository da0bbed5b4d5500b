//go:build unix

package salesforce

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWorldIdleCPU reports the CPU a World of 1,000 idle orgs uses
// while nothing calls it: the process's user+system CPU (getrusage) over
// each second of wall time. A figure for the report, not an assertion.
func BenchmarkWorldIdleCPU(b *testing.B) {
	w, err := StartWorld(WorldConfig{Orgs: thousandOrgs, PubSub: PubSubConfig{CAFile: b.TempDir() + "/ca.pem"}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	runtime.GC()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for b.Loop() {
		start := cpu()
		time.Sleep(time.Second)
		b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond), "cpu-ms/idle-s")
	}
}
