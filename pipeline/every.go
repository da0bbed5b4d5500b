package pipeline

import (
	"sync"
	"time"
)

// every runs fn each interval on a timer, not a goroutine that sleeps: a
// serve instance runs a thousand daemons, and goroutines parked on tickers
// cost stack memory and wake-ups. fn never runs twice at once; stop
// waits for a run in progress and no run starts after it.
func every(interval time.Duration, fn func()) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		timer   *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	timer = time.AfterFunc(interval, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		fn()
		timer.Reset(interval)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}
