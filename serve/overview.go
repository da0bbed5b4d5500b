package serve

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
)

// Integration states beyond a run's own: seen from the registry.
const (
	StateDisabled   = "disabled"
	StateUnassigned = "unassigned" // no live instance reports the unit (yet)
)

// IntegrationView is one integration as `sfcdc integrations list` shows
// it: its state across the instances, and each unit's.
type IntegrationView struct {
	Name    string     `json:"name"`
	State   string     `json:"state"`
	Reason  string     `json:"reason,omitempty"`
	Since   time.Time  `json:"since,omitzero"`
	Version int64      `json:"version"`
	Units   []UnitView `json:"units"`
}

// UnitView is one unit: its state and the instance holding it.
type UnitView struct {
	Unit
	State    string `json:"state"`
	Instance string `json:"instance,omitempty"`
}

// ReadOverview joins the registry with the instances' reports.
func ReadOverview(ctx context.Context, reg *registry.Registry, reports replay.ReportStore) ([]IntegrationView, error) {
	views, _, err := readOverview(ctx, reg, reports)
	return views, err
}

// readOverview is ReadOverview with the registry's entries it read, in the
// same order (each opened once: a thousand records take half a second to
// open).
func readOverview(ctx context.Context, reg *registry.Registry, reports replay.ReportStore) ([]IntegrationView, []registry.Entry, error) {
	entries, err := reg.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	reps, err := ReadReports(ctx, reports)
	if err != nil {
		return nil, nil, fmt.Errorf("read the instances' reports: %w", err)
	}
	byUnit := map[string]Report{}
	for _, r := range reps {
		for _, u := range r.Units {
			byUnit[u.Key()] = r
		}
	}
	out := make([]IntegrationView, 0, len(entries))
	for _, e := range entries {
		out = append(out, view(e, byUnit))
	}
	return out, entries, nil
}

// view sums one integration up: a record that does not open is an error;
// a disabled one says why; otherwise the worst of its units' states.
func view(e registry.Entry, byUnit map[string]Report) IntegrationView {
	v := IntegrationView{Name: e.Name, Version: e.Integration.Version}
	if e.Err != nil {
		v.State, v.Reason = StateError, e.Err.Error()
		return v
	}
	in := e.Integration
	for _, u := range UnitsOf(in.Spec) {
		uv := UnitView{Unit: u, State: StateUnassigned}
		if r, ok := byUnit[u.Key()]; ok && in.Enabled {
			uv.State, uv.Instance = r.Name, r.Instance
			if (r.Name == StateError || r.Name == StatePendingAuth || r.Name == StateNeedsReauth) && v.Reason == "" {
				v.Reason, v.Since = r.Reason, r.Since
			}
		}
		v.Units = append(v.Units, uv)
	}
	if !in.Enabled {
		v.State, v.Since = StateDisabled, in.Disabled.Since
		v.Reason = string(in.Disabled.Reason)
		if in.Disabled.Note != "" {
			v.Reason += ": " + in.Disabled.Note
		}
		for i := range v.Units {
			v.Units[i].State = StateDisabled
		}
		return v
	}
	v.State = StateStreaming
	for _, rank := range []string{StateNeedsReauth, StatePendingAuth, StateError, StateStarting, StateUnassigned, StateBackfilling} {
		for _, u := range v.Units {
			if u.State == rank {
				v.State = rank
				return v
			}
		}
	}
	return v
}

// WriteOverview prints one line per integration, then one per unit.
func WriteOverview(w io.Writer, views []IntegrationView, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTEGRATION\tSTATE\tSINCE\tREASON")
	for _, v := range views {
		since := "-"
		if !v.Since.IsZero() {
			since = now.Sub(v.Since).Truncate(time.Second).String() + " ago"
		}
		reason := v.Reason
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.State, since, oneLine(reason, 100))
		for _, u := range v.Units {
			inst := u.Instance
			if inst == "" {
				inst = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", u.Part, u.State, "on "+inst)
		}
	}
	_ = tw.Flush()
}

// oneLine keeps the first line of s, cut to n runes.
func oneLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Ready says whether every unit of every enabled integration is owned by a
// live instance (what /readyz of `sfcdc serve` answers), and when not,
// which units are not, one line each.
func Ready(views []IntegrationView) (bool, []string) {
	var missing []string
	for _, v := range views {
		if v.State == StateDisabled {
			continue
		}
		if len(v.Units) == 0 {
			missing = append(missing, v.Name+": "+v.Reason)
			continue
		}
		for _, u := range v.Units {
			if u.Instance == "" {
				missing = append(missing, v.Name+" "+u.Part+": no instance runs it")
			}
		}
	}
	return len(missing) == 0, missing
}
