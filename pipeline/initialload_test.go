package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// A topic's first load in an org under steady traffic (100 events/s, and
// emails updated after every page the load reads) ends after one pass up
// to the topic's start instant, and the topic streams: the load used to
// start another pass whenever the previous one found changes, so under
// traffic the topic never streamed. Once the traffic stops, CM holds
// every email in its newest version: what changed during the load came
// through the stream.
func TestATopicUnderSteadyTrafficStreamsAfterOneLoadPass(t *testing.T) {
	// Not parallel with the other tests: a daemon under -race must keep up
	// with traffic generated at a fixed rate within a bound, and on two
	// cores a test beside it takes the CPU it needs (it failed so, under
	// load, in parallel runs).
	w := newWorld(t)
	// 1,500 emails in pages of 250 (it was 3,000 in pages of 500): the same
	// six pages, each followed by updates the load must leave to the stream.
	seeded := seedEmailIDs(t, w.Sim.Org, 1_500)

	traffic, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	generated := make(chan error, 1)
	// 100 events/s (it was 200): the updates after every page already give
	// each pass changes to chase; the traffic keeps the stream busy while
	// the load runs, at half the daemon's and generator's CPU under -race.
	go func() { generated <- sfsim.NewGenerator(w.Sim.Org, 5).Run(traffic, 100) }()

	var mu sync.Mutex
	passes, updates := 0, 0
	d := w.startDaemonWith(t, emailsOnly, daemonTuning{
		fillConfig: func(c *backfill.Config) { c.PageSize = 250 },
		fill: func(o *backfill.Options) {
			o.Progress = func(p backfill.Progress) {
				if p.Phase != backfill.PhaseReading {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				passes = max(passes, p.Pass)
				for range 5 {
					id := seeded[updates%len(seeded)]
					if err := w.Sim.Org.Update(id, sfsim.Values{"TextBody": fmt.Sprintf("Changed during the load (%d).", updates)}); err != nil {
						t.Error(err)
					}
					updates++
				}
			}
		}})
	deadline := time.Now().Add(90 * time.Second) // only keeps a livelock from hanging the test
	for topicState(d.daemon, emailTopic) != replay.StateStreaming {
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("the topic is %s after 90 s under traffic, its load at pass %d", topicState(d.daemon, emailTopic), passes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if passes != 1 {
		t.Errorf("the initial load made %d passes; want one, up to the start instant", passes)
	}
	mu.Unlock()

	stopTraffic()
	if err := <-generated; err != nil {
		t.Fatal(err)
	}
	m, err := mapper.New(mapper.Config{Objects: emailsOnly})
	if err != nil {
		t.Fatal(err)
	}
	awaitCMMatchesOrg(t, w, m, 60*time.Second, "EmailMessage")
	d.stop(t)
}

// An initial load stopped at the API budget pauses its own topic, which
// says so and when it resumes; the daemon goes on, the other topic keeps
// streaming, and the load resumes by itself once the budget allows. It
// used to stop the whole daemon.
func TestAnInitialLoadAtTheAPIBudgetPausesOnlyItsTopic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := w.startDaemon(t, casesOnly, nil)
	eventually(t, "the case topic streams", func() bool { return topicState(first.daemon, caseTopic) == replay.StateStreaming })
	w.createCases(t, 0, 1)
	w.awaitCheckpointAtTip(t, caseTopic)
	first.stop(t)

	seeded := seedEmailIDs(t, w.Sim.Org, 50)
	// The org has used just over half its allocation: the load's budget
	// (50 %) is reached, and the stream still has calls left.
	for range 100 {
		if _, err := w.Salesforce.FirstPage(t.Context(), "SELECT COUNT() FROM Case", salesforce.QueryOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	used, _ := w.Sim.REST.APIUsage()
	w.Sim.REST.SetDailyAPILimit(2*used - 20)
	both := []mapper.ObjectMapping{{Object: "Case"}, {Object: "EmailMessage"}}
	d := w.startDaemon(t, both, func(c *pipeline.DaemonConfig) { c.BudgetRetry = 200 * time.Millisecond })
	eventually(t, "the email topic pauses at the budget", func() bool {
		s := d.snapshotOf(t, emailTopic)
		return s.State == replay.StatePaused && strings.Contains(s.LastError, "resumes at") &&
			strings.Contains(s.LastError, "API budget")
	})
	after := w.createCases(t, 1, 1)
	eventually(t, "a case made while the email load is paused reaches CM", func() bool { return w.CMHas("Case", after...) })
	select {
	case <-d.done:
		t.Fatalf("the daemon stopped: %v", d.err)
	default:
	}
	if s := topicState(d.daemon, caseTopic); s != replay.StateStreaming {
		t.Errorf("the case topic is %s while the email load is paused, want streaming", s)
	}

	w.Sim.REST.SetDailyAPILimit(1_000_000)
	eventually(t, "the email topic streams once the budget allows", func() bool {
		return topicState(d.daemon, emailTopic) == replay.StateStreaming
	})
	eventually(t, "the seeded emails are in CM", func() bool { return w.CMHas("EmailMessage", seeded...) })
	d.stop(t)
}

// seedEmailIDs creates n EmailMessages, 100 per transaction, and returns
// their IDs.
func seedEmailIDs(t testing.TB, org *sfsim.Org, n int) []string {
	t.Helper()
	caseID, err := org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for len(ids) < n {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < 100 && len(ids) < n; i++ {
				id, err := tx.Create("EmailMessage", emailValues(caseID, len(ids)))
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}
