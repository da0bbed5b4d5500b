package replay

import (
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// States a caller branches on. Every error a Store returns wraps one of these
// or is a failure to reach the backing store (usually transient: retry with
// backoff) or an invalid argument (a bug in the caller).
var (
	// ErrNotFound means the item was never stored (or was deleted).
	ErrNotFound = errors.New("not found")

	// ErrCheckpointVanished means the topic had a checkpoint once but it is
	// gone now, e.g. Redis lost data or someone deleted the key. The caller
	// must not resume at LATEST: it alerts and runs its recovery policy.
	ErrCheckpointVanished = errors.New("checkpoint vanished")

	// ErrFenced means the caller's lease is no longer the current one: it
	// expired, was released, or another holder took over with a newer
	// fencing token. The caller stops working on the topic.
	ErrFenced = errors.New("fenced: lease is not held with this token")

	// ErrLeaseHeld means another holder has the lease. *LeaseHeldError says
	// who and for how long.
	ErrLeaseHeld = errors.New("lease held by another holder")

	// ErrInvalid means an argument breaks the contract (empty org, replay ID
	// or holder, a non-positive TTL, ...). Retrying cannot help.
	ErrInvalid = errors.New("invalid argument")

	// ErrCorrupt means stored bytes could not be decoded. It points at a
	// foreign writer or a damaged store, not at a transient condition.
	ErrCorrupt = errors.New("corrupt stored value")
)

// LeaseHeldError reports a failed acquisition: the lease belongs to Holder
// for about Remaining more (unless renewed). It matches ErrLeaseHeld.
type LeaseHeldError struct {
	Holder    string
	Remaining time.Duration
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("%s (holder %s, expires in %s)", ErrLeaseHeld, quote.Value(e.Holder), e.Remaining)
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// invalidf returns an ErrInvalid with a message.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// corruptf returns an ErrCorrupt with a message.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
