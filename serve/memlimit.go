package serve

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/sfcdc/sfcdc/integration"
)

// memoryFraction is the share of the memory available to the process
// that the default soft limit allows the Go runtime: the rest is for what
// the runtime does not count (thread stacks of cgo-free Go are counted;
// the kernel's socket buffers and page cache are not) and headroom.
const memoryFraction = 0.75

// MemoryLimit is the soft memory limit (bytes) `sfcdc serve` gives the Go
// runtime (debug.SetMemoryLimit), so a burst of busy integrations makes the
// collector work harder instead of the process growing past what it may
// use: memory_limit_mb when set; else three quarters of the container's
// memory limit (cgroup v2 memory.max, v1 memory.limit_in_bytes), else of
// the machine's memory. 0 when GOMEMLIMIT is set in env: the runtime
// already applied it, and the operator's word wins. It changes nothing
// itself; the edge sets the limit for as long as serve runs.
func MemoryLimit(s Settings, env integration.Env) int64 {
	if v, _ := env("GOMEMLIMIT"); v != "" {
		return 0
	}
	if s.MemoryLimitMB > 0 {
		return int64(s.MemoryLimitMB) << 20
	}
	avail := cgroupMemoryLimit()
	if avail <= 0 {
		avail = machineMemory()
	}
	return int64(float64(avail) * memoryFraction)
}

// cgroupMemoryLimit is the container's memory limit in bytes, 0 if none.
func cgroupMemoryLimit() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max" (v2) or a page-rounded near-MaxInt64 (v1) mean no limit.
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}

// machineMemory is MemTotal of /proc/meminfo in bytes, 0 if unknown.
func machineMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
