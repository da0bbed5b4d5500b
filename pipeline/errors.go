package pipeline

import (
	"errors"
	"fmt"

	"github.com/sfcdc/sfcdc/replay"
)

// ErrLeaseLost means the worker stopped because its lease expired or was
// taken over; another holder owns the topic now.
var ErrLeaseLost = errors.New("topic lease lost")

// ErrStoreUnavailable marks a failure to reach the state store (Redis down
// or restarting) where the topic's lease or checkpoint is read. It is
// transient: the daemon retries after RetryInterval instead of stopping.
var ErrStoreUnavailable = errors.New("state store unavailable")

// storeUnreachable tells a store error that only says the store could not
// be reached from the typed states a caller must act on (replay's
// contract: every other error wraps one of its sentinels).
func storeUnreachable(err error) bool {
	for _, typed := range []error{replay.ErrNotFound, replay.ErrCheckpointVanished, replay.ErrFenced,
		replay.ErrLeaseHeld, replay.ErrInvalid, replay.ErrCorrupt} {
		if errors.Is(err, typed) {
			return false
		}
	}
	return err != nil
}

// CheckpointVanishedError stops a worker whose topic had a checkpoint that
// is gone (Redis lost data, a key was deleted). Resuming at LATEST would
// silently skip events; recovery (a REST backfill over the uncovered
// window) is for the operator or a recovery policy to run. It matches
// replay.ErrCheckpointVanished.
type CheckpointVanishedError struct {
	Org, Topic string
}

func (e *CheckpointVanishedError) Error() string {
	return fmt.Sprintf("resume topic %s of org %s: its checkpoint vanished; refusing to start at LATEST", e.Topic, e.Org)
}

// Is makes errors.Is(err, replay.ErrCheckpointVanished) true.
func (e *CheckpointVanishedError) Is(target error) bool {
	return target == replay.ErrCheckpointVanished
}

// Dead-letter reasons (replay.DeadLetter.Reason), short and stable.
const (
	reasonPoison      = "undecodable event"
	reasonNotCDC      = "not a change event"
	reasonUnmappable  = "unmappable record"
	reasonRejected    = "cm rejected comment"
	reasonFetchFailed = "record fetch refused"
	reasonNeedsResync = "gap overflow needs resync"
)
