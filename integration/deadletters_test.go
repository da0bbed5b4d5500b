package integration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
)

func TestTheRunDeadLettersBlockIsReadAndEachBadKeyNamed(t *testing.T) {
	spec, err := integration.Load[integration.Spec]("spec.yaml", []byte("run:\n  dead_letters:\n    enabled: false\n    retry_after: 1m\n    max_backoff: 2h\n    max_attempts: 4\n"), nil)
	if err == nil || strings.Contains(err.Error(), "dead_letters") {
		t.Fatalf("a spec without connections loaded (%v), or its dead_letters block was refused", err)
	}
	dl := spec.Run.DeadLetters
	if p := dl.Policy(); dl.On() || p.RetryAfter != time.Minute || p.MaxBackoff != 2*time.Hour || p.MaxAttempts != 4 {
		t.Fatalf("read %+v (enabled %v)", p, dl.On())
	}
	if p := (integration.DeadLetters{}).Policy().WithDefaults(); !(integration.DeadLetters{}).On() || p.RetryAfter != 5*time.Minute ||
		p.MaxBackoff != 6*time.Hour || p.MaxAttempts != 10 {
		t.Fatalf("defaults %+v", p)
	}
	err = integration.Run{DeadLetters: integration.DeadLetters{RetryAfter: -time.Second, MaxAttempts: -1}}.Validate()
	for _, key := range []string{"run.dead_letters.retry_after", "run.dead_letters.max_attempts"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s: %v", key, err)
		}
	}
	err = integration.Run{DeadLetters: integration.DeadLetters{RetryAfter: time.Hour, MaxBackoff: time.Minute}}.Validate()
	if err == nil || !strings.Contains(err.Error(), "run.dead_letters.max_backoff") {
		t.Errorf("a cap below the first wait: %v", err)
	}
	if _, err := integration.Load[integration.Spec]("spec.yaml", []byte("run:\n  dead_letters:\n    max_attempt: 3\n"), nil); err == nil ||
		!strings.Contains(err.Error(), "max_attempt") {
		t.Errorf("an unknown dead_letters key: %v", err)
	}
}
