package status

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/quote"
)

// maxTableError keeps the table readable; the JSON has the whole error.
const maxTableError = 80

// WriteTable writes rep for a person, as `sfcdc status` prints it: the
// org and the replay retention, one row per topic with times relative to
// now, each topic's warnings, then the org's dead-letter counts. Without
// a row it says that no instance has run yet.
func WriteTable(w io.Writer, rep Report, now time.Time) {
	org, rows := rep.Org, rep.Topics
	if len(rows) == 0 {
		fmt.Fprintf(w, "org %s: no instance has run yet (no topic status in the store); start one with `sfcdc run --config FILE`\n", org)
		fmt.Fprintf(w, "dead letters: %d (%d parked)\n", rep.DeadLetters, rep.ParkedDeadLetters)
		return
	}
	fmt.Fprintf(w, "org %s, replay retention %s\n", org, health.Duration(health.ReplayRetention))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSTATE\tHOLDER\tLAST EVENT\tLAST KEEPALIVE\tLAST CHECKPOINT\tREPLAY AGE\tLAG\tRECEIVED\tUPLOADED\tUNCHANGED\tDELETED\tDEAD\tRECONNECTS\tLAST ERROR")
	for _, r := range rows {
		state := r.State
		if r.Stale {
			state += " (stale)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n",
			r.Topic, state, orDash(r.Holder), Ago(r.LastEventAt, now), Ago(r.LastKeepaliveAt, now), Ago(r.LastCheckpointAt, now),
			replayAgeCell(r), lagCell(r), r.Received, r.Uploaded, r.Unchanged, r.Deleted, r.DeadLettered, r.Reconnects,
			quote.Cell(r.LastError, maxTableError))
	}
	_ = tw.Flush()
	for _, r := range rows {
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "%s: %s\n", r.Topic, warning)
		}
	}
	hint := ""
	if rep.DeadLetters > 0 {
		hint = "; `sfcdc deadletters list --config FILE` shows them"
	}
	fmt.Fprintf(w, "dead letters: %d (%d parked)%s\n", rep.DeadLetters, rep.ParkedDeadLetters, hint)
}

func replayAgeCell(r Topic) string {
	if r.ReplayAgeSeconds == nil {
		return "-"
	}
	age := time.Duration(*r.ReplayAgeSeconds * float64(time.Second))
	switch {
	case r.ReplayExpired:
		return health.Duration(age) + " EXPIRED"
	case r.ReplayExpiring:
		return health.Duration(age) + " (expires in " + health.Duration(health.ReplayRetention-age) + ")"
	}
	return health.Duration(age)
}

func lagCell(r Topic) string {
	if r.State == StateNone {
		return "-"
	}
	return health.Duration(time.Duration(r.LagSeconds * float64(time.Second)))
}

// Ago is how long before now t was, such as "3s ago" (health.Duration:
// at most two units), "in 2s" for a time after now (clock skew between
// hosts), or "never" for nil.
func Ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	if d < 0 {
		return "in " + health.Duration(-d)
	}
	return health.Duration(d) + " ago"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
