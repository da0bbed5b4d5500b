// Package replaytest is the conformance suite of replay.Store: every
// implementation passes Run, so the pipeline can rely on the contract
// whichever store is configured. It checks every operation, fencing of stale
// lease holders, lease expiry and takeover (with short real TTLs, polled,
// never slept on), binary-safe replay IDs, big hash batches, error text
// kept without credentials and concurrent use (run it with -race).

package replaytest

import (
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// Names the suite works with.
const (
	org      = "00D5e000000TEST"
	otherOrg = "00D5e000000OTHR"
	topic    = "/data/EmailMessageChangeEvent"
	topic2   = "/data/CaseChangeEvent"
	object   = "EmailMessage"
	holderA  = "instance-a"
	holderB  = "instance-b"

	longTTL  = time.Minute
	shortTTL = 40 * time.Millisecond
)

// Run runs the suite. open returns a new, empty store for one subtest and
// registers its cleanup (closing it, deleting its keys or files) on t.
func Run(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("checkpoints", func(t *testing.T) { runCheckpoints(t, open) })
	t.Run("leases", func(t *testing.T) { runLeases(t, open) })
	t.Run("lease batches", func(t *testing.T) { runLeaseBatches(t, open) })
	t.Run("fencing", func(t *testing.T) { runFencing(t, open) })
	t.Run("watermarks", func(t *testing.T) { runWatermarks(t, open) })
	t.Run("hashes", func(t *testing.T) { runHashes(t, open) })
	t.Run("dead letters", func(t *testing.T) { runDeadLetters(t, open) })
	t.Run("status", func(t *testing.T) { runStatus(t, open) })
	t.Run("daily counts", func(t *testing.T) { runDaily(t, open) })
	t.Run("redaction", func(t *testing.T) { runRedaction(t, open) })
	t.Run("concurrency", func(t *testing.T) { runConcurrency(t, open) })
	t.Run("registry", func(t *testing.T) { runRegistry(t, open) })
	t.Run("members", func(t *testing.T) { runMembers(t, open) })
	t.Run("reports", func(t *testing.T) { runReports(t, open) })
	t.Run("grants", func(t *testing.T) { runGrants(t, open) })
	t.Run("oauth states", func(t *testing.T) { runOAuthStates(t, open) })
}

// binaryReplayID is a replay ID no text encoding survives: NUL, 0xFF,
// invalid UTF-8, a newline and a colon.
var binaryReplayID = []byte{0x00, 0xFF, 0x00, 0xC3, 0x28, '\n', ':', 0x7F, 0x80, 0x00}

// mustAcquire takes the topic's lease or fails the test.
func mustAcquire(t *testing.T, s replay.Store, topic, holder string, ttl time.Duration) replay.Lease {
	t.Helper()
	lease, err := s.AcquireLease(t.Context(), org, topic, holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %s): %v", topic, holder, err)
	}
	return lease
}

// acquireWhenFree polls until holder gets the lease, i.e. until the
// previous holder's lease expired in the store.
func acquireWhenFree(t *testing.T, s replay.Store, topic, holder string, ttl time.Duration) replay.Lease {
	t.Helper()
	var lease replay.Lease
	poll(t, "lease to expire", func() bool {
		var err error
		lease, err = s.AcquireLease(t.Context(), org, topic, holder, ttl)
		if err != nil && !errors.Is(err, replay.ErrLeaseHeld) {
			t.Fatalf("AcquireLease: %v", err)
		}
		return err == nil
	})
	return lease
}

// poll calls cond until it returns true. The deadline only stops a broken
// implementation from hanging the run; no assertion depends on timing.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// recent reports whether tm is set and within a minute of now: a store
// stamp, checked loosely because stores keep wall-clock time only.
func recent(tm time.Time) bool {
	d := time.Since(tm)
	return !tm.IsZero() && d > -time.Minute && d < time.Minute
}
