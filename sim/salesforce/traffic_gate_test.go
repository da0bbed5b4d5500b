package salesforce

import (
	"context"
	"testing"
	"time"
)

func TestAPausedGeneratorAppendsNothingUntilResumed(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	g := NewGenerator(org, 7)
	g.Gate = &TrafficGate{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, 5000) }()
	t.Cleanup(func() { cancel(); <-done })

	awaitTip := func(above uint64) uint64 {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for org.Bus().Tip() <= above {
			if time.Now().After(deadline) {
				t.Fatalf("the generator appended nothing past %d within 30 s", above)
			}
			time.Sleep(time.Millisecond)
		}
		return org.Bus().Tip()
	}
	start := org.Bus().Tip()
	awaitTip(start)

	if err := g.Gate.Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	paused := org.Bus().Tip()
	// Pause returned between activities: until Resume the generator waits
	// at the gate, and an org change of someone else's still goes through.
	if _, err := org.Create("Case", Values{"Subject": "Mine"}); err != nil {
		t.Fatal(err)
	}
	if tip := org.Bus().Tip(); tip != paused+1 || !g.Gate.Paused() {
		t.Fatalf("while paused the bus went from %d to %d; want only the one change of the test", paused, tip)
	}
	g.Gate.Resume()
	awaitTip(paused + 1)
}

func TestPausingAGateNobodyRunsThroughReturnsAtOnce(t *testing.T) {
	t.Parallel()
	var g TrafficGate
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Pause(ctx); err != nil || !g.Paused() {
		t.Fatalf("Pause: %v, paused %v", err, g.Paused())
	}
	g.Resume()
	if g.Paused() {
		t.Fatal("still paused after Resume")
	}
}
