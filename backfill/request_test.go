package backfill_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
)

func TestRequestCheckRefusesContradictionsNamingTheFlags(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		r      backfill.Request
		dryRun bool
		want   string // "" = accepted
	}{
		{"follow dry run", backfill.Request{Follow: true}, true, "--follow and --dry-run"},
		{"follow until", backfill.Request{Follow: true, Until: t0}, false, "--follow and --until"},
		{"follow up to", backfill.Request{Follow: true, UpTo: t0}, false, "upper bound"},
		{"until before since", backfill.Request{Since: t0, Until: t0.Add(-time.Hour)}, false, "--until 2026-02-28T23:00:00Z is before --since 2026-03-01T00:00:00Z"},
		{"window", backfill.Request{Since: t0, Until: t0.Add(time.Hour)}, true, ""},
		{"follow", backfill.Request{Follow: true, Since: t0}, false, ""},
	} {
		err := tc.r.Check(tc.dryRun)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want accepted", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, backfill.ErrRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an ErrRequest saying %q", tc.name, err, tc.want)
		}
	}
}
