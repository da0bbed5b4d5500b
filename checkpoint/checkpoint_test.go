package checkpoint

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

const org, topic = "00Dcheckpoint000001", "/data/CaseChangeEvent"

func embedded(t *testing.T) replay.Store {
	t.Helper()
	s, err := replay.Open(t.Context(), replay.Config{FilePath: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestASetCheckpointIsDescribedAndJudgedByItsCommitTime(t *testing.T) {
	s, ctx, now := embedded(t), t.Context(), time.Now()
	if d, err := Describe(ctx, s, org, topic, now); err != nil || d.State != StateNone {
		t.Fatalf("before any write: %+v (%v), want none", d, err)
	}
	lease, err := Acquire(ctx, s, org, topic, Holder("test"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		age               time.Duration
		expired, expiring bool
	}{{time.Hour, false, false}, {60 * time.Hour, false, true}, {80 * time.Hour, true, false}} {
		if err := Set(ctx, s, lease, []byte{0xab, 0xcd}, now.Add(-tc.age)); err != nil {
			t.Fatal(err)
		}
		d, err := Describe(ctx, s, org, topic, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != StateOK || d.Age.Round(time.Second) != tc.age || d.Expired != tc.expired || d.Expiring != tc.expiring ||
			string(d.Checkpoint.ReplayID) != "\xab\xcd" {
			t.Errorf("a checkpoint %s old: %+v, want expired %v, expiring %v", tc.age, d, tc.expired, tc.expiring)
		}
	}
	if err := Set(ctx, s, lease, nil, now); err == nil {
		t.Error("an empty replay ID was set")
	}
}

func TestAResetUnderTheLeaseLeavesNoCheckpoint(t *testing.T) {
	s, ctx := embedded(t), t.Context()
	lease, err := Acquire(ctx, s, org, topic, Holder("test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Set(ctx, s, lease, []byte{1}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := Reset(ctx, s, lease); err != nil {
		t.Fatal(err)
	}
	if d, err := Describe(ctx, s, org, topic, time.Now()); err != nil || d.State != StateNone {
		t.Fatalf("after the reset: %+v (%v), want none", d, err)
	}
}

func TestAcquireRefusesWhileAWorkerHoldsTheLeaseAndNamesIt(t *testing.T) {
	s, ctx := embedded(t), t.Context()
	if _, err := s.AcquireLease(ctx, org, topic, "worker-host-7", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(ctx, s, org, topic, Holder("test"))
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "worker-host-7") {
		t.Fatalf("err %v, want ErrHeld naming worker-host-7", err)
	}
}

func TestADescriptionIsOneLine(t *testing.T) {
	written := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cp := replay.Checkpoint{ReplayID: []byte{0xab, 0xcd}, CommitTime: written.Add(-time.Minute), WrittenAt: written, Token: 7}
	for _, c := range []struct {
		d    Description
		want string
	}{
		{Description{State: StateNone}, "none (the next run starts from the configured start)"},
		{Description{State: StateVanished}, "vanished (it had a checkpoint that is gone: the next run recovers by backfill; `sfcdc replay reset` makes it start fresh instead)"},
		{Description{State: StateOK, Checkpoint: cp, Age: 90*time.Minute + 30*time.Second},
			"replay_id=abcd commit_time=2026-05-01T11:59:00Z written_at=2026-05-01T12:00:00Z token=7 age=1h30m0s ok"},
		{Description{State: StateOK, Checkpoint: replay.Checkpoint{ReplayID: []byte{1}, WrittenAt: written}, Age: 60 * time.Hour, Expiring: true},
			"replay_id=01 commit_time=unknown written_at=2026-05-01T12:00:00Z token=0 age=60h0m0s WARNING: expires in 12h0m0s; start the worker soon"},
		{Description{State: StateOK, Checkpoint: cp, Age: 80 * time.Hour, Expired: true},
			"replay_id=abcd commit_time=2026-05-01T11:59:00Z written_at=2026-05-01T12:00:00Z token=7 age=80h0m0s EXPIRED: older than the 72h retention; the next run cannot resume it and recovers by backfill"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("String() = %q\nwant        %q", got, c.want)
		}
	}
}

func TestChangeShowsTheCheckpointAsksAndChangesUnderTheLease(t *testing.T) {
	s, ctx := embedded(t), t.Context()
	set := func(ctx context.Context, s replay.Store, lease replay.Lease) error {
		return Set(ctx, s, lease, []byte{0x0f}, time.Time{})
	}
	refused := errors.New("not confirmed")
	_, err := Change(ctx, s, org, topic, Holder("test"), func(before Description) (bool, error) {
		if before.State != StateNone {
			t.Errorf("before the first change: %+v, want none", before)
		}
		return true, refused
	}, set)
	if !errors.Is(err, refused) {
		t.Fatalf("a refused confirmation: %v", err)
	}
	if d, _ := Describe(ctx, s, org, topic, time.Now()); d.State != StateNone {
		t.Fatalf("a refused change wrote %+v", d)
	}
	for _, waited := range []bool{false, true} {
		after, err := Change(ctx, s, org, topic, Holder("test"), func(Description) (bool, error) { return waited, nil }, set)
		if err != nil || after.State != StateOK || string(after.Checkpoint.ReplayID) != "\x0f" {
			t.Fatalf("waited %v: after %+v (%v), want replay ID 0f", waited, after, err)
		}
	}
	worker, err := s.AcquireLease(ctx, org, topic, "worker-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer s.ReleaseLease(context.WithoutCancel(ctx), worker)
	_, err = Change(ctx, s, org, topic, Holder("test"), func(Description) (bool, error) {
		t.Error("asked for confirmation while a worker holds the lease")
		return false, nil
	}, set)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "worker-1") {
		t.Fatalf("a held lease: %v, want ErrHeld naming the worker", err)
	}
}
