package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/spf13/cobra"
)

// deadLetterFlags are the knobs of `sfcdc deadletters …`.
type deadLetterFlags struct {
	configPath string
	json       bool
	limit      int
	ids        []string
	all        bool
	before     string
	verbose    bool
	// includeParked makes retry --all retry parked dead letters too.
	includeParked bool
}

func newDeadLettersCommand() *cobra.Command {
	var f deadLetterFlags
	cmd := &cobra.Command{
		Use:   "deadletters list|retry|purge --config FILE",
		Short: "List, retry or purge the events and records the pipeline gave up on",
		Long: "Dead letters are kept in the configured store per org, with the reason, the attempt count and the\n" +
			"error, but no record body. list shows them newest first. retry re-reads a record dead letter's\n" +
			"record over REST, maps it and uploads it (a record deleted since removes its comment when\n" +
			"on_delete is delete); an event dead letter without a record ID cannot be re-read from the stream,\n" +
			"so retry backfills its objects over REST from 5 minutes before to 5 minutes after its commit time.\n" +
			"A success deletes the dead letter; a failure keeps it with attempts+1, the new error and the time of\n" +
			"its next automatic attempt. `sfcdc run` retries dead letters by itself (run.dead_letters: first after\n" +
			"5m, doubling up to 6h) and parks one once its attempts reach run.dead_letters.max_attempts (10);\n" +
			"a parked one is retried only when named with --id, or with --all --include-parked.\n" +
			"purge deletes dead letters without retrying them.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageError{errors.New("deadletters needs a subcommand: list, retry or purge")}
		},
	}
	cmd.PersistentFlags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")

	list := &cobra.Command{
		Use:   "list --config FILE [--json] [--limit N]",
		Short: "List dead letters, newest first",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersList(cmd, f) },
	}
	list.Flags().BoolVar(&f.json, "json", false, "print a JSON array")
	list.Flags().IntVar(&f.limit, "limit", replay.DefaultDeadLetterPage, "show at most this many (0: all)")

	retry := &cobra.Command{
		Use:   "retry --config FILE (--id ID ... | --all)",
		Short: "Retry dead letters; each success deletes its dead letter",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersRetry(cmd, f) },
	}
	retry.Flags().StringSliceVar(&f.ids, "id", nil, "a dead letter ID, as list prints it (repeatable)")
	retry.Flags().BoolVar(&f.all, "all", false, "retry every dead letter of the org that is not parked")
	retry.Flags().BoolVar(&f.includeParked, "include-parked", false, "with --all: retry the parked dead letters too")
	retry.Flags().BoolVar(&f.verbose, "verbose", false, "log every REST and CM retry (never secrets)")

	purge := &cobra.Command{
		Use:   "purge --config FILE (--id ID ... | --all | --before RFC3339)",
		Short: "Delete dead letters without retrying them",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersPurge(cmd, f) },
	}
	purge.Flags().StringSliceVar(&f.ids, "id", nil, "a dead letter ID, as list prints it (repeatable)")
	purge.Flags().BoolVar(&f.all, "all", false, "purge every dead letter of the org")
	purge.Flags().StringVar(&f.before, "before", "", "purge those dead-lettered before this time (RFC 3339)")
	cmd.AddCommand(list, retry, purge)
	return cmd
}

func runDeadLettersList(cmd *cobra.Command, f deadLetterFlags) error {
	if f.limit < 0 {
		return usageError{fmt.Errorf("--limit %d: want 0 (all) or a positive number", f.limit)}
	}
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	var shown []replay.DeadLetter
	err = deadletter.Each(ctx, t.store, t.org, func(d replay.DeadLetter) bool {
		shown = append(shown, d)
		return f.limit == 0 || len(shown) < f.limit
	})
	if err != nil {
		return err
	}
	total, err := t.store.CountDeadLetters(ctx, t.org)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.json {
		return deadletter.WriteJSON(w, shown)
	}
	deadletter.WriteTable(w, t.org, shown, total)
	return nil
}

// selectDeadLetters reads the dead letters --id names, or all of them.
// IDs that do not exist are printed and counted.
func selectDeadLetters(ctx context.Context, s replay.DeadLetterStore, org string, f deadLetterFlags, w io.Writer) ([]replay.DeadLetter, int, error) {
	if f.all {
		all, err := deadletter.All(ctx, s, org, nil)
		return all, 0, err
	}
	found, missing, err := deadletter.Pick(ctx, s, org, f.ids)
	if errors.Is(err, replay.ErrInvalid) {
		return nil, 0, usageError{fmt.Errorf("--id: %w; want a dead letter ID as `sfcdc deadletters list` prints it", err)}
	}
	for _, id := range missing {
		fmt.Fprintf(w, "%s: not found (retried or purged already?)\n", id)
	}
	return found, len(missing), err
}

// selection checks that exactly one way of choosing dead letters is given.
func (f deadLetterFlags) selection(withBefore bool) error {
	n := 0
	for _, set := range []bool{len(f.ids) > 0, f.all, f.before != ""} {
		if set {
			n++
		}
	}
	choices := "--id ID (repeatable) or --all"
	if withBefore {
		choices = "--id ID (repeatable), --all or --before RFC3339"
	}
	if n != 1 {
		return usageError{fmt.Errorf("name the dead letters with exactly one of %s", choices)}
	}
	return nil
}

func runDeadLettersPurge(cmd *cobra.Command, f deadLetterFlags) error {
	if err := f.selection(true); err != nil {
		return err
	}
	before, err := parseFlagTime("--before", f.before)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	w := cmd.OutOrStdout()
	var chosen []replay.DeadLetter
	missing := 0
	if before.IsZero() {
		if chosen, missing, err = selectDeadLetters(ctx, t.store, t.org, f, w); err != nil {
			return err
		}
	} else if chosen, err = deadletter.All(ctx, t.store, t.org, deadletter.DeadLetteredBefore(before)); err != nil {
		return err
	}
	purged, err := deadletter.Purge(ctx, t.store, t.org, chosen, func(d replay.DeadLetter, gone bool) {
		deadletter.WritePurged(w, d, gone)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "purged %d dead letters of org %s\n", purged, t.org)
	if missing > 0 {
		return fmt.Errorf("%d of the given IDs do not exist; `sfcdc deadletters list` shows the current ones", missing)
	}
	return nil
}

func runDeadLettersRetry(cmd *cobra.Command, f deadLetterFlags) error {
	if err := f.selection(false); err != nil {
		return err
	}
	if f.includeParked && !f.all {
		return usageError{errors.New("--include-parked goes with --all; a parked dead letter named by --id is retried anyway")}
	}
	ctx := cmd.Context()
	conf, err := loadConfig(cmd.Context(), f.configPath)
	if err != nil {
		return err
	}
	log := backfillLogger(cmd.ErrOrStderr(), f.verbose)
	d, err := openDeps(ctx, conf, log)
	if err != nil {
		return err
	}
	defer d.close()
	retrier, err := d.engine.DeadLetterRetrier(d.org, "")
	if err != nil {
		return asUsage(err)
	}
	w := cmd.OutOrStdout()
	chosen, missing, err := selectDeadLetters(ctx, d.store, d.org, f, w)
	if err != nil {
		return err
	}
	if f.all && !f.includeParked {
		all := len(chosen)
		chosen = slices.DeleteFunc(chosen, func(dl replay.DeadLetter) bool { return dl.Parked })
		if parked := all - len(chosen); parked > 0 {
			fmt.Fprintf(w, "leaving %d parked dead letters alone (--include-parked retries them too)\n", parked)
		}
	}
	tally, err := retrier.Retry(ctx, chosen, func(res deadletter.Result) { deadletter.WriteResult(w, res) })
	if err != nil {
		return err
	}
	return deadletter.WriteTally(w, d.org, len(chosen), tally, missing)
}
