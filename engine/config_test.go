package engine_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
)

func TestTheDaemonDrainsForHalfTheGrace(t *testing.T) {
	cfg := engine.DaemonConfig(integration.Run{}, "org", "h")
	if cfg.Worker.DrainTimeout != 15*time.Second || cfg.Org != "org" || cfg.Holder != "h" {
		t.Fatalf("default run section: drain %s, org %q, holder %q; want 15s (half the 30s grace), org, h",
			cfg.Worker.DrainTimeout, cfg.Org, cfg.Holder)
	}
	cfg = engine.DaemonConfig(integration.Run{ShutdownGrace: time.Minute}, "org", "h")
	if cfg.Worker.DrainTimeout != 30*time.Second {
		t.Fatalf("shutdown_grace 1m: drain %s, want 30s", cfg.Worker.DrainTimeout)
	}
}

// integration checks run.start and run.recovery against its own lists; the
// pipeline must accept every value those lists let through, and refuse
// what they refuse.
func TestThePipelineAcceptsEveryStartAndRecoveryTheModelAccepts(t *testing.T) {
	for _, start := range integration.StartValues {
		for _, recovery := range integration.RecoveryValues {
			r := integration.Run{Start: start, Recovery: recovery}
			if err := r.Validate(); err != nil {
				t.Fatalf("integration refuses start %q, recovery %q: %v", start, recovery, err)
			}
			if err := engine.DaemonConfig(r, "org", "h").Validate(); err != nil {
				t.Fatalf("the pipeline refuses start %q, recovery %q that integration accepts: %v", start, recovery, err)
			}
		}
	}
	bad := integration.Run{Start: "sometimes", Recovery: "pray"}
	if bad.Validate() == nil || engine.DaemonConfig(bad, "org", "h").Validate() == nil {
		t.Fatal("an unknown start and recovery passed one of the two checks")
	}
}

func TestPubSubConfigCarriesTheConnectionSection(t *testing.T) {
	s := integration.Salesforce{PubSubEndpoint: "127.0.0.1:7443", CAFile: "/ca.pem", Insecure: true, Watchdog: time.Minute}
	cfg := engine.PubSubConfig(s)
	if cfg.Endpoint != s.PubSubEndpoint || cfg.CAFile != s.CAFile || !cfg.Plaintext || cfg.Watchdog != time.Minute {
		t.Fatalf("pubsub config %+v from %+v", cfg, s)
	}
}

func TestTopicsAreTheObjectsTopicsSortedOnce(t *testing.T) {
	spec := integration.Spec{Objects: []mapper.ObjectMapping{
		{Object: "Task"}, {Object: "Case"}, {Object: "EmailMessage", Topic: "/data/Support__chn"}, {Object: "CaseComment", Topic: "/data/Support__chn"},
	}}
	topics, err := engine.Topics(spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/data/CaseChangeEvent", "/data/Support__chn", "/data/TaskChangeEvent"}; !slices.Equal(topics, want) {
		t.Fatalf("topics %v, want %v", topics, want)
	}
	if _, err := engine.Topics(integration.Spec{Objects: []mapper.ObjectMapping{{Object: ""}}}); err == nil {
		t.Fatal("an object without a name gave topics")
	}
}
