package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
	"go.uber.org/goleak"
)

const (
	cmProject = "support"
	cmSource  = "salesforce"
)

// world is the shared simulated world (org, CM, embedded store) with the
// CM source this package's integration writes to.
type world struct{ *simworld.World }

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{simworld.New(t, simworld.Options{Seed: 7, Project: cmProject, Source: cmSource})}
}

// spec is the integration of the world's org and CM source, built in Go.
func (w *world) spec() integration.Spec {
	return integration.Spec{
		Name: cmProject + "/cases",
		Salesforce: integration.Salesforce{
			PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
			AccessToken: w.Sim.AccessToken, InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID(),
		},
		CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: cmProject, Source: cmSource,
			Linger: 10 * time.Millisecond},
		Objects: []mapper.ObjectMapping{{Object: "Case"}},
		Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second},
	}
}

// eventually is simworld.Eventually.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	simworld.Eventually(t, what, cond)
}

func TestAnEmbeddedEngineStreamsOrgChangesIntoCMAndStopsCleanlyWhenCancelled(t *testing.T) {
	before := goleak.IgnoreCurrent()
	// The world lives in a subtest, so its cleanup has closed it before
	// the leak check below.
	t.Run("stream", func(t *testing.T) {
		w := newWorld(t)
		ready := make(chan engine.Ready, 1)
		eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store, Ready: func(r engine.Ready) error { ready <- r; return nil }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- eng.Run(ctx) }()

		select {
		case r := <-ready:
			if r.Org != w.Sim.Org.ID() || len(r.Topics["/data/CaseChangeEvent"]) != 1 {
				t.Errorf("ready for %+v, want the org's Case topic", r)
			}
		case err := <-done:
			t.Fatalf("Run stopped before it was ready: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the engine did not get ready")
		}
		eventually(t, "the Case topic streams", func() bool {
			snaps := eng.Snapshot()
			return len(snaps) == 1 && snaps[0].State == "streaming"
		})

		id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Printer on fire", "Description": "It smokes when I print."})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Sim.Org.Update(id, sfsim.Values{"Description": "It still smokes, and now it beeps."}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the case's newest text is a comment in CM", func() bool {
			c, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id))
			return ok && len(c.Messages) > 0 && strings.Contains(c.Messages[0].Body, "now it beeps")
		})
		eventually(t, "the checkpoint passed the update", func() bool {
			cp, err := w.Store.Checkpoint(t.Context(), w.Sim.Org.ID(), "/data/CaseChangeEvent")
			return err == nil && string(cp.ReplayID) == string(sfsim.EncodeReplayID(w.Sim.Bus.Tip()))
		})
		if p := eng.MonitorProcess(); p.RESTCalls == 0 {
			t.Errorf("process figures %+v: want the REST calls counted", p)
		}

		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("Run returned %v after its context was cancelled, want a clean stop", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
		eng.Close()
	})
	goleak.VerifyNone(t, before)
}

func TestAnInvalidSpecIsRefusedWithEveryProblemAtOnce(t *testing.T) {
	w := newWorld(t)
	spec := w.spec()
	spec.Name = "no-slash"
	spec.Salesforce.TenantID = ""
	spec.CommsMining.Project = ""
	spec.Objects = nil
	_, err := engine.New(spec, engine.Deps{Store: w.Store})
	if !errors.Is(err, integration.ErrInvalid) {
		t.Fatalf("New: %v, want an invalid configuration", err)
	}
	for _, key := range []string{"name:", "salesforce.tenant_id", "commsmining.project", "objects:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s:\n%v", key, err)
		}
	}
	if strings.Contains(err.Error(), w.Sim.AccessToken) || strings.Contains(err.Error(), w.CM.Token()) {
		t.Error("the error shows a token")
	}
}

func TestAnEngineWithoutAStoreIsRefused(t *testing.T) {
	w := newWorld(t)
	if _, err := engine.New(w.spec(), engine.Deps{}); err == nil {
		t.Fatal("an engine without a store was built")
	}
}

func TestAReadyErrorStopsRunBeforeAnythingStreams(t *testing.T) {
	w := newWorld(t)
	refused := errors.New("the monitoring address is taken")
	eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store, Ready: func(engine.Ready) error { return refused }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Run(t.Context()); !errors.Is(err, refused) {
		t.Fatalf("Run: %v, want the Ready error", err)
	}
	if _, err := w.Store.Status(t.Context(), w.Sim.Org.ID(), "/data/CaseChangeEvent"); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("the topic has a status (%v): something ran", err)
	}
}

func TestTheOrgAnEngineConnectedToIsKnownToTheToolsThatReadOnlyTheStore(t *testing.T) {
	w := newWorld(t)
	eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A tool's configuration that names no org and has no session.
	offline := integration.Salesforce{InstanceURL: "http://127.0.0.1:1", AccessToken: "expired"}
	org, err := engine.StoredOrg(t.Context(), offline, w.Store)
	if err != nil || org != w.Sim.Org.ID() {
		t.Fatalf("StoredOrg = %q, %v; want %s from the store", org, err, w.Sim.Org.ID())
	}
}

func TestAnEngineBackfillLoadsWhatTheOrgHeldBefore(t *testing.T) {
	w := newWorld(t)
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Old", "Description": "Made before any sfcdc."})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	fill, err := eng.Backfill(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fill.Run(t.Context(), backfill.Request{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id)); !ok {
		t.Fatal("the backfill did not bring the case into CM")
	}
}

func TestASharedPubSubClientCarriesTheStreamAndStaysOpenAfterClose(t *testing.T) {
	w := newWorld(t)
	spec := w.spec()
	ps, err := pubsub.NewClient(engine.PubSubConfig(spec.Salesforce), engine.Credentials(spec.Salesforce, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	eng, err := engine.New(spec, engine.Deps{Store: w.Store, PubSub: ps})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	eventually(t, "the Case topic streams", func() bool {
		snaps := eng.Snapshot()
		return len(snaps) == 1 && snaps[0].State == "streaming"
	})
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Shared", "Description": "Over the shared connection."})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the case is a comment in CM", func() bool {
		_, ok := w.CM.Comment(cmProject, cmSource, mapper.CommentID("Case", id))
		return ok
	})
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want a clean stop", err)
	}
	eng.Close()
	info, err := ps.TopicInfo(t.Context(), "/data/CaseChangeEvent")
	if err != nil || info.Name == "" {
		t.Fatalf("the shared client after the engine closed: %v, %v; want it still open", info, err)
	}
}

func TestRunWithinGivesUpAfterTheGraceWhenTheRunDoesNotDrain(t *testing.T) {
	w := newWorld(t)
	entered, release := make(chan struct{}), make(chan struct{})
	eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store, Ready: func(engine.Ready) error {
		close(entered)
		<-release
		return errors.New("released")
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-entered; cancel() }()
	// Ready holds the run after the cancel: it cannot have returned when
	// the grace ends.
	err = eng.RunWithin(ctx, 20*time.Millisecond)
	close(release)
	if !errors.Is(err, engine.ErrGraceExceeded) || !strings.Contains(err.Error(), "received again on the next start") {
		t.Fatalf("RunWithin: %v, want ErrGraceExceeded", err)
	}
}

func TestRunWithinReturnsTheRunsEndWhenItDrainsInTime(t *testing.T) {
	w := newWorld(t)
	ready := make(chan struct{})
	eng, err := engine.New(w.spec(), engine.Deps{Store: w.Store, Ready: func(engine.Ready) error { close(ready); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- eng.RunWithin(ctx, time.Minute) }()
	<-ready
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunWithin after a cancel: %v, want nil", err)
	}
}
