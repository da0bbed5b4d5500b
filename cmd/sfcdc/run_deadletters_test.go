package main

import (
	"strings"
	"testing"
	"time"
)

func TestTheRunDeadLettersBlockIsReadAndEachBadKeyNamed(t *testing.T) {
	path := writeFile(t, "sfcdc.yaml", "run:\n  dead_letters:\n    enabled: false\n    retry_after: 1m\n    max_backoff: 2h\n    max_attempts: 4\n")
	conf, err := readConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dl := conf.Run.DeadLetters
	if p := dl.policy(); dl.enabled() || p.RetryAfter != time.Minute || p.MaxBackoff != 2*time.Hour || p.MaxAttempts != 4 {
		t.Fatalf("read %+v (enabled %v)", p, dl.enabled())
	}
	if p := (deadLettersSection{}).policy().WithDefaults(); !(deadLettersSection{}).enabled() || p.RetryAfter != 5*time.Minute ||
		p.MaxBackoff != 6*time.Hour || p.MaxAttempts != 10 {
		t.Fatalf("defaults %+v", p)
	}
	err = runSection{DeadLetters: deadLettersSection{RetryAfter: -time.Second, MaxAttempts: -1}}.validate()
	for _, key := range []string{"run.dead_letters.retry_after", "run.dead_letters.max_attempts"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s: %v", key, err)
		}
	}
	err = runSection{DeadLetters: deadLettersSection{RetryAfter: time.Hour, MaxBackoff: time.Minute}}.validate()
	if err == nil || !strings.Contains(err.Error(), "run.dead_letters.max_backoff") {
		t.Errorf("a cap below the first wait: %v", err)
	}
	if _, err := readConfigFile(writeFile(t, "sfcdc.yaml", "run:\n  dead_letters:\n    max_attempt: 3\n")); err == nil ||
		!strings.Contains(err.Error(), "max_attempt") {
		t.Errorf("an unknown dead_letters key: %v", err)
	}
}
