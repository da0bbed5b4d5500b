package checkpoint

import (
	"context"
	"encoding/hex"
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

// String is d in one line, as `sfcdc replay` prints it after the topic:
// the state and what the next run does, or the replay ID, commit time
// (unknown when not recorded), write time, fencing token, age (to the
// minute) and verdict.
func (d Description) String() string {
	switch d.State {
	case StateNone:
		return "none (the next run starts from the configured start)"
	case StateVanished:
		return "vanished (it had a checkpoint that is gone: the next run recovers by backfill; `sfcdc replay reset` makes it start fresh instead)"
	}
	const layout = time.RFC3339
	cp, commit := d.Checkpoint, "unknown"
	if !cp.CommitTime.IsZero() {
		commit = cp.CommitTime.UTC().Format(layout)
	}
	age := d.Age.Truncate(time.Minute)
	verdict := "ok"
	switch {
	case d.Expired:
		verdict = "EXPIRED: older than the 72h retention; the next run cannot resume it and recovers by backfill"
	case d.Expiring:
		verdict = fmt.Sprintf("WARNING: expires in %s; start the worker soon", (health.ReplayRetention - age).Truncate(time.Minute))
	}
	return fmt.Sprintf("replay_id=%s commit_time=%s written_at=%s token=%d age=%s %s",
		hex.EncodeToString(cp.ReplayID), commit, cp.WrittenAt.UTC().Format(layout), cp.Token, age, verdict)
}

// Change changes org's topic checkpoint under the topic's lease, taken for
// holder first, so that a running worker is refused at once (ErrHeld).
// confirm sees the checkpoint as it is and may refuse (nothing changes);
// it reports whether it waited (for a person to answer), and then the
// lease, which may have lapsed meanwhile, is taken again before change
// runs. A lease lost to another holder meanwhile (replay.ErrFenced) is an
// error saying nothing changed. Change returns the checkpoint as it is
// afterwards, and releases the lease before it returns.
func Change(ctx context.Context, s replay.Store, org, topic, holder string,
	confirm func(before Description) (waited bool, err error),
	change func(context.Context, replay.Store, replay.Lease) error) (Description, error) {
	lease, err := Acquire(ctx, s, org, topic, holder)
	if err != nil {
		return Description{}, err
	}
	defer func() { _ = s.ReleaseLease(context.WithoutCancel(ctx), lease) }()
	before, err := Describe(ctx, s, org, topic, time.Now())
	if err != nil {
		return Description{}, err
	}
	waited, err := confirm(before)
	if err != nil {
		return Description{}, err
	}
	if waited {
		if lease, err = Acquire(ctx, s, org, topic, holder); err != nil {
			return Description{}, err
		}
	}
	if err := change(ctx, s, lease); err != nil {
		if errors.Is(err, replay.ErrFenced) {
			return Description{}, fmt.Errorf("%s: the lease was lost to another holder meanwhile; nothing changed: %w", topic, err)
		}
		return Description{}, err
	}
	return Describe(ctx, s, org, topic, time.Now())
}
