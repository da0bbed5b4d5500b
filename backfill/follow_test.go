package backfill_test

import (
	"context"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// pollGate is a follow-mode Sleep the test opens: each poll waits until
// the test has checked the state and made its changes.
type pollGate struct {
	waiting chan struct{}
	open    chan struct{}
}

func newPollGate() *pollGate {
	return &pollGate{waiting: make(chan struct{}), open: make(chan struct{})}
}

func (g *pollGate) sleep(ctx context.Context, _ time.Duration) error {
	select {
	case g.waiting <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestFollowModePollsAnObjectWithoutChangeEventsAndAppliesItsDeletePolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy      mapper.DeletePolicy
		deletedStay bool
	}{
		{policy: mapper.DeleteComment, deletedStay: false},
		{policy: mapper.KeepComment, deletedStay: true},
	} {
		t.Run("on_delete "+string(tc.policy), func(t *testing.T) {
			w := newWorld(t, simworld.Options{})
			caseID, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Refund", "Status": "New"})
			if err != nil {
				t.Fatal(err)
			}
			comment := func(body string) string {
				id, err := w.Sim.Org.Create("CaseComment", sfsim.Values{"ParentId": caseID, "CommentBody": body})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			gone, edited := comment("Refund approved."), comment("Waiting for the courier.")
			gate := newPollGate()
			s := setup{objects: []mapper.ObjectMapping{{Object: "CaseComment", OnDelete: tc.policy}}, sleep: gate.sleep}
			b := w.backfill(t, s)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := b.Run(ctx, backfill.Request{Follow: true})
				done <- err
			}()

			<-gate.waiting // caught up once
			if got := len(w.CM.Comments(cmProject, cmSource)); got != 2 {
				t.Fatalf("CM holds %d comments after the first poll, want 2", got)
			}
			if err := w.Sim.Org.Delete(gone); err != nil {
				t.Fatal(err)
			}
			update(t, w.Sim.Org, edited, sfsim.Values{"CommentBody": "The courier picked it up."})
			added := comment("Customer confirmed delivery.")
			gate.open <- struct{}{}
			<-gate.waiting // polled again

			cm := map[string]string{}
			for _, c := range w.CM.Comments(cmProject, cmSource) {
				cm[c.ID] = c.Messages[0].Body
			}
			if _, ok := cm[mapper.CommentID("CaseComment", gone)]; ok != tc.deletedStay {
				t.Fatalf("deleted record's comment still in CM: %v, want %v", ok, tc.deletedStay)
			}
			if cm[mapper.CommentID("CaseComment", edited)] != "The courier picked it up." {
				t.Fatalf("edited comment holds %q", cm[mapper.CommentID("CaseComment", edited)])
			}
			if cm[mapper.CommentID("CaseComment", added)] != "Customer confirmed delivery." {
				t.Fatal("the comment added between polls did not arrive")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("follow mode ended with %v, want a clean stop", err)
			}
		})
	}
}
