package main

import (
	"strings"
	"testing"
	"time"
)

func TestTheRunSectionNamesEachBadKey(t *testing.T) {
	bad := runSection{Start: "tomorrow", Recovery: "pray", LeaseTTL: -time.Second, ShutdownGrace: -time.Second}
	err := bad.validate()
	if err == nil {
		t.Fatal("a bad run section was accepted")
	}
	for _, key := range []string{"start", "recovery", "lease_ttl", "shutdown_grace"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s: %v", key, err)
		}
	}
	if err := (runSection{}).validate(); err != nil {
		t.Fatalf("the zero run section is refused: %v", err)
	}
}

func TestTheRunSectionDefaults(t *testing.T) {
	var r runSection
	cfg := r.daemonConfig("org", "h")
	if r.grace() != 30*time.Second || cfg.Worker.DrainTimeout != 15*time.Second || !r.detectPolling() {
		t.Fatalf("defaults: grace %s, drain %s, detect %v", r.grace(), cfg.Worker.DrainTimeout, r.detectPolling())
	}
	if a, b := r.holder(), r.holder(); a == b || a == "" {
		t.Fatalf("holders %q and %q: want unique per call", a, b)
	}
}

func TestAnUnknownRunKeyIsRefused(t *testing.T) {
	path := writeFile(t, "sfcdc.yaml", "run:\n  strat: latest\n")
	if _, err := readConfigFile(path); err == nil || !strings.Contains(err.Error(), "strat") {
		t.Fatalf("got %v, want the unknown key named", err)
	}
}
