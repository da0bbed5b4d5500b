package checkpoint

import (
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
