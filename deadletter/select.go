package deadletter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// Each pages through org's dead letters, newest first, until fn returns
// false or they run out.
func Each(ctx context.Context, s replay.DeadLetterStore, org string, fn func(replay.DeadLetter) bool) error {
	before := ""
	for {
		page, err := s.ListDeadLetters(ctx, org, before, replay.MaxDeadLetterPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, d := range page {
			if !fn(d) {
				return nil
			}
		}
		before = page[len(page)-1].ID
	}
}

// All is every dead letter of org for which keep (nil: all) is true,
// newest first.
func All(ctx context.Context, s replay.DeadLetterStore, org string, keep func(replay.DeadLetter) bool) ([]replay.DeadLetter, error) {
	var out []replay.DeadLetter
	err := Each(ctx, s, org, func(d replay.DeadLetter) bool {
		if keep == nil || keep(d) {
			out = append(out, d)
		}
		return true
	})
	return out, err
}

// Pick reads the dead letters ids name, each once, in ID order; missing
// are the IDs no dead letter has (retried or purged meanwhile). An ID
// that cannot be one is an error wrapping replay.ErrInvalid.
func Pick(ctx context.Context, s replay.DeadLetterStore, org string, ids []string) (found []replay.DeadLetter, missing []string, err error) {
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		d, err := s.DeadLetter(ctx, org, id)
		switch {
		case errors.Is(err, replay.ErrInvalid):
			return nil, nil, fmt.Errorf("dead letter ID %s: %w", quote.Value(id), err)
		case errors.Is(err, replay.ErrNotFound):
			missing = append(missing, id)
		case err != nil:
			return nil, nil, err
		default:
			found = append(found, d)
		}
	}
	return found, missing, nil
}

// DeadLetteredBefore keeps the dead letters dead-lettered before t (for All).
func DeadLetteredBefore(t time.Time) func(replay.DeadLetter) bool {
	return func(d replay.DeadLetter) bool { return d.At.Before(t) }
}

// Purge deletes the chosen dead letters without retrying them, telling
// each (gone: already deleted meanwhile) as it goes, and returns how many
// it deleted; it stops at the first failure.
func Purge(ctx context.Context, s replay.DeadLetterStore, org string, chosen []replay.DeadLetter, each func(d replay.DeadLetter, gone bool)) (int, error) {
	purged := 0
	for _, d := range chosen {
		err := s.DeleteDeadLetter(ctx, org, d.ID)
		switch {
		case errors.Is(err, replay.ErrNotFound):
			each(d, true)
		case err != nil:
			return purged, fmt.Errorf("purged %d dead letters, then: %w", purged, err)
		default:
			purged++
			each(d, false)
		}
	}
	return purged, nil
}
