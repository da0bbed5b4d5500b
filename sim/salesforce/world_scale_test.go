package salesforce

import (
	"runtime"
	"testing"
)

// thousandOrgs is the scale issue 16 asks of `sfcdc sim --orgs`.
const thousandOrgs = 1000

// TestWorldOfAThousandIdleOrgsStartsNoGoroutinePerOrg: the goroutines a
// World adds are its endpoints', the same for 1,000 orgs as for 1 (an org
// is memory only). The heap is logged as a figure, not asserted.
func TestWorldOfAThousandIdleOrgsStartsNoGoroutinePerOrg(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	added := func(n int) (goroutines int, heap uint64) {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		base := runtime.NumGoroutine()
		w, err := StartWorld(WorldConfig{Orgs: n, PubSub: PubSubConfig{CAFile: t.TempDir() + "/ca.pem"}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if len(w.Orgs) != n {
			t.Fatalf("%d orgs, want %d", len(w.Orgs), n)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		return runtime.NumGoroutine() - base, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
	}
	one, oneHeap := added(1)
	many, manyHeap := added(thousandOrgs)
	t.Logf("goroutines added: %d for 1 org, %d for %d orgs; heap: %d KiB for 1 org, %d KiB for %d orgs (%d KiB per org)",
		one, many, thousandOrgs, oneHeap>>10, manyHeap>>10, thousandOrgs, manyHeap>>10/thousandOrgs)
	// A few of slack: a goroutine another test left winding down may end
	// during either count. A goroutine per org would add a thousand.
	if many > one+10 {
		t.Errorf("a World of %d orgs added %d goroutines, one of 1 org %d: idle orgs must start none", thousandOrgs, many, one)
	}
}
