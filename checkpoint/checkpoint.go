package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// LeaseTTL is how long a tool holds a topic's lease while it writes: long
// enough for one store operation, short enough that a worker starting
// meanwhile waits little.
const LeaseTTL = 30 * time.Second

// The states of a topic's checkpoint.
const (
	StateOK       = "ok"
	StateNone     = "none"     // never written, or reset: the next run starts from the configured start
	StateVanished = "vanished" // it had one that is gone: the next run recovers by backfill
)

// Description is a topic's checkpoint, judged.
type Description struct {
	State      string
	Checkpoint replay.Checkpoint
	// Age counts from the checkpointed event's commit time or, when that
	// is unknown, from when the checkpoint was written (a lower bound).
	Age time.Duration
	// Expired: older than the retention, the next run cannot resume it;
	// Expiring: it nears the retention.
	Expired, Expiring bool
}

// Describe reads and judges the checkpoint of org's topic at now.
func Describe(ctx context.Context, s replay.Store, org, topic string, now time.Time) (Description, error) {
	cp, err := s.Checkpoint(ctx, org, topic)
	switch {
	case errors.Is(err, replay.ErrNotFound):
		return Description{State: StateNone}, nil
	case errors.Is(err, replay.ErrCheckpointVanished):
		return Description{State: StateVanished}, nil
	case err != nil:
		return Description{}, fmt.Errorf("read the checkpoint of %s: %w", topic, err)
	}
	base := cp.WrittenAt
	if !cp.CommitTime.IsZero() {
		base = cp.CommitTime
	}
	d := Description{State: StateOK, Checkpoint: cp, Age: now.Sub(base)}
	d.Expired, d.Expiring = health.ReplayVerdict(d.Age, health.Policy{})
	return d, nil
}

// ErrHeld is Acquire's refusal: a running worker holds the topic's lease.
var ErrHeld = errors.New("the lease is held")

// Acquire takes org's topic lease for holder (see Holder), or says who has
// it (an error wrapping ErrHeld).
func Acquire(ctx context.Context, s replay.Store, org, topic, holder string) (replay.Lease, error) {
	lease, err := s.AcquireLease(ctx, org, topic, holder, LeaseTTL)
	var held *replay.LeaseHeldError
	if errors.As(err, &held) {
		return lease, fmt.Errorf("refusing to change %s: %w by %s (expires in %s unless renewed), a running worker; stop it first, then run this again",
			topic, ErrHeld, quote.Value(held.Holder), held.Remaining.Truncate(time.Second))
	}
	if err != nil {
		return lease, fmt.Errorf("take the lease of %s: %w", topic, err)
	}
	return lease, nil
}

// Holder names this process as a lease holder of tool; unique per
// process, as replay.Lease asks.
func Holder(tool string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s/%d", tool, host, os.Getpid())
}

// Set points the lease's topic at replayID (committed at commit, zero if
// unknown).
func Set(ctx context.Context, s replay.Store, lease replay.Lease, replayID []byte, commit time.Time) error {
	if len(replayID) == 0 {
		return errors.New("set a checkpoint: empty replay ID")
	}
	return s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: replayID, CommitTime: commit})
}

// Reset deletes the lease's topic checkpoint: the next run starts from the
// configured start (the content hashes stay).
func Reset(ctx context.Context, s replay.Store, lease replay.Lease) error {
	d, ok := s.(replay.CheckpointDeleter)
	if !ok {
		return fmt.Errorf("this store (%T) cannot delete checkpoints", s)
	}
	return d.DeleteCheckpoint(ctx, lease)
}
