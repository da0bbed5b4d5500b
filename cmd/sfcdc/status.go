package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/status"
	"github.com/spf13/cobra"
)

// maxTableError keeps the table readable; --json has the whole error.
const maxTableError = 80

// statusFlags are the knobs of `sfcdc status`.
type statusFlags struct {
	configPath string
	json       bool
}

func newStatusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status --config FILE [--json]",
		Short: "Show what every topic's worker is doing, from the status the workers keep in the store",
		Long: "Reads the status document each topic's worker writes to the configured store, with the topic's\n" +
			"checkpoint, and prints one row per topic: state, lease holder, last event, last checkpoint, replay\n" +
			"age against the 72 h retention (warned from 48 h), lag, counters and the last error. A status not\n" +
			"rewritten for 2 minutes while its topic should be running is flagged stale. The org's dead-letter\n" +
			"count follows, with how many are parked (see `sfcdc deadletters`). Exit code 0 whatever the topics' states.\n" +
			"It needs no Salesforce: the org is salesforce.tenant_id when set, else the org ID that\n" +
			"`sfcdc run` and `sfcdc backfill` stored in the store when they connected.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON array, one object per topic")
	return cmd
}

func runStatus(cmd *cobra.Command, f statusFlags) error {
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	rep, err := status.Read(ctx, t.store, t.org, t.topics, t.health, time.Now())
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.Topics)
	}
	printStatusTable(w, rep, time.Now())
	return nil
}

func printStatusTable(w io.Writer, rep status.Report, now time.Time) {
	org, rows := rep.Org, rep.Topics
	if len(rows) == 0 {
		fmt.Fprintf(w, "org %s: no instance has run yet (no topic status in the store); start one with `sfcdc run --config FILE`\n", org)
		fmt.Fprintf(w, "dead letters: %d (%d parked)\n", rep.DeadLetters, rep.ParkedDeadLetters)
		return
	}
	fmt.Fprintf(w, "org %s, replay retention %s\n", org, shortDuration(health.ReplayRetention))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSTATE\tHOLDER\tLAST EVENT\tLAST KEEPALIVE\tLAST CHECKPOINT\tREPLAY AGE\tLAG\tRECEIVED\tUPLOADED\tUNCHANGED\tDELETED\tDEAD\tRECONNECTS\tLAST ERROR")
	for _, r := range rows {
		state := r.State
		if r.Stale {
			state += " (stale)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n",
			r.Topic, state, orDash(r.Holder), ago(r.LastEventAt, now), ago(r.LastKeepaliveAt, now), ago(r.LastCheckpointAt, now),
			replayAgeCell(r), lagCell(r), r.Received, r.Uploaded, r.Unchanged, r.Deleted, r.DeadLettered, r.Reconnects,
			orDash(oneLine(r.LastError, maxTableError)))
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

func replayAgeCell(r status.Topic) string {
	if r.ReplayAgeSeconds == nil {
		return "-"
	}
	age := time.Duration(*r.ReplayAgeSeconds * float64(time.Second))
	switch {
	case r.ReplayExpired:
		return shortDuration(age) + " EXPIRED"
	case r.ReplayExpiring:
		return shortDuration(age) + " (expires in " + shortDuration(health.ReplayRetention-age) + ")"
	}
	return shortDuration(age)
}

func lagCell(r status.Topic) string {
	if r.State == status.StateNone {
		return "-"
	}
	return shortDuration(time.Duration(r.LagSeconds * float64(time.Second)))
}

// ago is a relative time such as "3s ago", or "never".
func ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	if d < 0 {
		return "in " + shortDuration(-d) // clock skew between hosts
	}
	return shortDuration(d) + " ago"
}

// shortDuration is d in at most two units: 45s, 4m10s, 2h5m, 3d4h.
func shortDuration(d time.Duration) string { return health.Duration(d) }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table cell on one line and at most n runes long.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
