package integration

import (
	"strings"
	"testing"
	"time"
)

func TestTheRunSectionNamesEachBadKey(t *testing.T) {
	bad := Run{Start: "tomorrow", Recovery: "pray", LeaseTTL: -time.Second, ShutdownGrace: -time.Second}
	err := bad.Validate()
	if err == nil {
		t.Fatal("a bad run section was accepted")
	}
	for _, key := range []string{"start", "recovery", "lease_ttl", "shutdown_grace"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s: %v", key, err)
		}
	}
	if err := (Run{}).Validate(); err != nil {
		t.Fatalf("the zero run section is refused: %v", err)
	}
}

func TestTheRunSectionDefaults(t *testing.T) {
	var r Run
	if r.Grace() != 30*time.Second || !r.DetectsPolling() {
		t.Fatalf("defaults: grace %s, detect %v", r.Grace(), r.DetectsPolling())
	}
}
