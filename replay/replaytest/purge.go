package replaytest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// RunPurge checks replay.StatePurger through Scoped.Purge: a purged
// scope's checkpoints (read back as never stored, not vanished),
// watermarks, hashes, dead letters and statuses are gone; another scope
// and the unscoped store on the same org keep theirs; the scope's lease
// stays with its holder, a later lease gets a greater token, and
// dead-letter IDs keep growing. open must return a store that implements
// StatePurger.
func RunPurge(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a purged scope keeps nothing but its leases and counters; the others keep everything", func(t *testing.T) {
		s := open(t)
		if _, ok := s.(replay.StatePurger); !ok {
			t.Fatalf("%T does not implement replay.StatePurger", s)
		}
		ctx := t.Context()
		gone, kept := replay.NewScoped(s, "acme/gone"), replay.NewScoped(s, "acme/kept")
		leases := map[replay.Store]replay.Lease{}
		lastDeadLetter := map[replay.Store]string{}
		for _, st := range []replay.Store{gone, kept, s} {
			lease := mustAcquire(t, st, topic, holderA, longTTL)
			leases[st] = lease
			fill(ctx, t, st, lease)
			id, err := st.AddDeadLetter(ctx, org, replay.DeadLetter{Topic: topic, Object: object, RecordID: "02s5e00000ABCDEAAA", Reason: "test"})
			noErr(t, "AddDeadLetter", err)
			lastDeadLetter[st] = id
		}
		n, err := gone.Purge(ctx)
		noErr(t, "Purge", err)
		if n == 0 {
			t.Fatalf("Purge removed nothing")
		}
		_, err = gone.Checkpoint(ctx, org, topic)
		wantErr(t, "Checkpoint of the purged scope", err, replay.ErrNotFound)
		_, err = gone.Watermark(ctx, org, object)
		wantErr(t, "Watermark of the purged scope", err, replay.ErrNotFound)
		_, err = gone.Status(ctx, org, topic)
		wantErr(t, "Status of the purged scope", err, replay.ErrNotFound)
		hashes, err := gone.Hashes(ctx, org, []string{"c1"})
		noErr(t, "Hashes", err)
		dls, err := gone.CountDeadLetters(ctx, org)
		noErr(t, "CountDeadLetters", err)
		if len(hashes) != 0 || dls != 0 {
			t.Fatalf("after purge: %d hashes, %d dead letters; want none", len(hashes), dls)
		}
		if c, err := gone.Daily(ctx, org, purgeDay); err != nil || !c.IsZero() {
			t.Fatalf("after purge the day's counts are %+v (%v); want none", c, err)
		}
		for _, st := range []replay.Store{kept, s} {
			if _, err := st.Checkpoint(ctx, org, topic); err != nil {
				t.Fatalf("another scope lost its checkpoint: %v", err)
			}
			if _, err := st.Watermark(ctx, org, object); err != nil {
				t.Fatalf("another scope lost its watermark: %v", err)
			}
			if _, err := st.Status(ctx, org, topic); err != nil {
				t.Fatalf("another scope lost its status: %v", err)
			}
			if h, _ := st.Hashes(ctx, org, []string{"c1"}); len(h) != 1 {
				t.Fatalf("another scope lost its hashes")
			}
			if n, _ := st.CountDeadLetters(ctx, org); n != 1 {
				t.Fatalf("another scope has %d dead letters, want 1", n)
			}
			if c, _ := st.Daily(ctx, org, purgeDay); c.Comments != 2 {
				t.Fatalf("another scope has %d comments on the day, want 2", c.Comments)
			}
		}
		renewed, err := gone.RenewLease(ctx, leases[gone])
		noErr(t, "RenewLease after purge", err)
		noErr(t, "ReleaseLease", gone.ReleaseLease(ctx, renewed))
		again := mustAcquire(t, gone, topic, holderB, longTTL)
		if again.Token <= leases[gone].Token {
			t.Fatalf("a lease after purge got token %d, want more than %d", again.Token, leases[gone].Token)
		}
		id, err := gone.AddDeadLetter(ctx, org, replay.DeadLetter{Topic: topic, Object: object, RecordID: "02s5e00000ABCDEAAA", Reason: "test"})
		noErr(t, "AddDeadLetter after purge", err)
		if idNumber(t, id) <= idNumber(t, lastDeadLetter[gone]) {
			t.Fatalf("a dead letter after purge got ID %s, not above %s", id, lastDeadLetter[gone])
		}
	})
	t.Run("an empty prefix is refused", func(t *testing.T) {
		s := open(t)
		_, err := s.(replay.StatePurger).PurgeOrgState(t.Context(), "")
		wantErr(t, "PurgeOrgState(\"\")", err, replay.ErrInvalid)
	})
}

// fill stores one of each org-keyed item under lease.
func fill(ctx context.Context, t *testing.T, s replay.Store, lease replay.Lease) {
	t.Helper()
	noErr(t, "SaveCheckpoint", s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{7}}))
	noErr(t, "SaveWatermark", s.SaveWatermark(ctx, org, object, replay.Watermark{Modstamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}))
	noErr(t, "SaveHashes", s.SaveHashes(ctx, org, map[string]replay.Hashes{"c1": {Content: "h" + strconv.Itoa(1), Metadata: "m"}}))
	noErr(t, "SaveStatus", s.SaveStatus(ctx, org, topic, replay.Status{State: replay.StateStreaming, Holder: holderA}))
	noErr(t, "AddDaily", s.AddDaily(ctx, org, purgeDay, replay.DailyCounts{Comments: 2, Billable: 1}))
}

// purgeDay is the day of the counts fill adds.
var purgeDay = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
