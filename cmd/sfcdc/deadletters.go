package main

import (
	"errors"

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
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	shown, total, err := deadletter.Newest(ctx, t.store, t.org, f.limit)
	if err != nil {
		return err
	}
	if f.json {
		return deadletter.WriteJSON(cmd.OutOrStdout(), shown)
	}
	deadletter.WriteTable(cmd.OutOrStdout(), t.org, shown, total)
	return nil
}

// choice is the deadletter.Choice the flags make, checked.
func (f deadLetterFlags) choice(purge bool) (deadletter.Choice, error) {
	before, err := parseFlagTime("--before", f.before)
	c := deadletter.Choice{IDs: f.ids, All: f.all, Before: before, IncludeParked: f.includeParked}
	if err == nil {
		err = c.Check(purge)
	}
	return c, err
}

func runDeadLettersPurge(cmd *cobra.Command, f deadLetterFlags) error {
	c, err := f.choice(true)
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
	got, err := c.Choose(ctx, t.store, t.org, true)
	deadletter.WriteChosen(w, got)
	if err != nil {
		return err
	}
	return deadletter.PurgeChosen(ctx, t.store, t.org, got, w)
}

func runDeadLettersRetry(cmd *cobra.Command, f deadLetterFlags) error {
	c, err := f.choice(false)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	conf, err := loadConfig(cmd.Context(), f.configPath)
	if err != nil {
		return err
	}
	d, err := openDeps(ctx, conf, backfillLogger(cmd.ErrOrStderr(), f.verbose))
	if err != nil {
		return err
	}
	defer d.close()
	retrier, err := d.engine.DeadLetterRetrier(d.org, "")
	if err != nil {
		return asUsage(err)
	}
	w := cmd.OutOrStdout()
	got, err := c.Choose(ctx, d.store, d.org, false)
	deadletter.WriteChosen(w, got)
	if err != nil {
		return err
	}
	tally, err := retrier.Retry(ctx, got.DeadLetters, func(res deadletter.Result) { deadletter.WriteResult(w, res) })
	if err != nil {
		return err
	}
	return deadletter.WriteTally(w, d.org, len(got.DeadLetters), tally, len(got.Missing))
}
