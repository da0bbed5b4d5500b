package deadletter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// ErrChoice: the dead letters to act on were not named in a usable way
// (none or several ways at once, an ID that cannot be one); the message
// says which flags to give.
var ErrChoice = errors.New("invalid choice of dead letters")

// Choice is how an operator names the dead letters a retry or a purge
// acts on: exactly one of IDs, All or Before (Before for a purge only).
type Choice struct {
	// IDs as `sfcdc deadletters list` prints them.
	IDs []string
	// All: every dead letter of the org (a retry leaves the parked ones
	// unless IncludeParked).
	All bool
	// Before: the dead letters dead-lettered before this instant.
	Before time.Time
	// IncludeParked makes a retry of All take the parked ones too; a
	// parked one named by ID is retried anyway.
	IncludeParked bool
}

// Check refuses a choice that names the dead letters in no way or in
// several at once; forPurge allows Before, which a retry does not take.
func (c Choice) Check(forPurge bool) error {
	n := 0
	for _, set := range []bool{len(c.IDs) > 0, c.All, !c.Before.IsZero()} {
		if set {
			n++
		}
	}
	choices := "--id ID (repeatable) or --all"
	if forPurge {
		choices = "--id ID (repeatable), --all or --before RFC3339"
	}
	if n != 1 || (!forPurge && !c.Before.IsZero()) {
		return fmt.Errorf("%w: name the dead letters with exactly one of %s", ErrChoice, choices)
	}
	if c.IncludeParked && (forPurge || !c.All) {
		return fmt.Errorf("%w: --include-parked goes with --all (of a retry); a parked dead letter named by --id is retried anyway", ErrChoice)
	}
	return nil
}

// Chosen is what a Choice found in the store.
type Chosen struct {
	// DeadLetters to act on, in the order to act.
	DeadLetters []replay.DeadLetter
	// Missing are the given IDs no dead letter has (retried or purged
	// meanwhile).
	Missing []string
	// ParkedLeft counts the parked dead letters All left alone.
	ParkedLeft int
}

// Choose reads the dead letters c names from org's. It calls Check first
// (forPurge as there); an ID that cannot be one is an ErrChoice.
func (c Choice) Choose(ctx context.Context, s replay.DeadLetterStore, org string, forPurge bool) (Chosen, error) {
	if err := c.Check(forPurge); err != nil {
		return Chosen{}, err
	}
	var out Chosen
	var err error
	switch {
	case !c.Before.IsZero():
		out.DeadLetters, err = All(ctx, s, org, DeadLetteredBefore(c.Before))
	case c.All:
		out.DeadLetters, err = All(ctx, s, org, nil)
		if err == nil && !forPurge && !c.IncludeParked {
			all := len(out.DeadLetters)
			out.DeadLetters = slices.DeleteFunc(out.DeadLetters, func(d replay.DeadLetter) bool { return d.Parked })
			out.ParkedLeft = all - len(out.DeadLetters)
		}
	default:
		out.DeadLetters, out.Missing, err = Pick(ctx, s, org, c.IDs)
		if errors.Is(err, replay.ErrInvalid) {
			return Chosen{}, fmt.Errorf("%w: --id: %v; want a dead letter ID as `sfcdc deadletters list` prints it", ErrChoice, err)
		}
	}
	if err != nil {
		return Chosen{}, err
	}
	return out, nil
}

// Newest is at most limit of org's dead letters (0: all), newest first,
// with the org's total count.
func Newest(ctx context.Context, s replay.DeadLetterStore, org string, limit int) ([]replay.DeadLetter, int, error) {
	if limit < 0 {
		return nil, 0, fmt.Errorf("%w: --limit %d: want 0 (all) or a positive number", ErrChoice, limit)
	}
	var shown []replay.DeadLetter
	err := Each(ctx, s, org, func(d replay.DeadLetter) bool {
		shown = append(shown, d)
		return limit == 0 || len(shown) < limit
	})
	if err != nil {
		return nil, 0, err
	}
	total, err := s.CountDeadLetters(ctx, org)
	return shown, total, err
}

// PurgeChosen deletes what a Choice chose, printing each dead letter (or
// that it was gone already) and the total to w; IDs given that did not
// exist make it an error once the others are purged.
func PurgeChosen(ctx context.Context, s replay.DeadLetterStore, org string, c Chosen, w io.Writer) error {
	purged, err := Purge(ctx, s, org, c.DeadLetters, func(d replay.DeadLetter, gone bool) { WritePurged(w, d, gone) })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "purged %d dead letters of org %s\n", purged, org)
	if len(c.Missing) > 0 {
		return fmt.Errorf("%d of the given IDs do not exist; `sfcdc deadletters list` shows the current ones", len(c.Missing))
	}
	return nil
}
