package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/spf13/cobra"
)

// exitBudget is the exit code of a backfill stopped by the API budget: not
// a failure, but not finished either; run it again later.
const exitBudget = 3

// exitCodeError carries a specific exit code to main.
type exitCodeError struct {
	err  error
	code int
}

func (e exitCodeError) Error() string { return e.err.Error() }
func (e exitCodeError) Unwrap() error { return e.err }
func (e exitCodeError) ExitCode() int { return e.code }

// backfillFlags are the knobs of `sfcdc backfill`.
type backfillFlags struct {
	configPath string
	objects    []string
	since      string
	until      string
	dryRun     bool
	follow     bool
	verbose    bool
	api        string
}

func newBackfillCommand() *cobra.Command {
	var f backfillFlags
	cmd := &cobra.Command{
		Use:   "backfill --config FILE [--object NAME] [--since RFC3339] [--until RFC3339] [--api auto|bulk|rest] [--dry-run] [--follow]",
		Short: "Load Salesforce records into CM over REST, from where the last backfill stopped",
		Long: "Reads the configured objects by SystemModstamp (from the saved watermark, less an overlap) and\n" +
			"uploads their comments; unchanged comments are skipped. The watermark only passes records CM\n" +
			"accepted (or that were dead-lettered), so an interrupted backfill resumes where it stopped.\n\n" +
			"--since starts later than the watermark. --until makes a window [since, until] with a watermark of\n" +
			"its own (a recovery after a stream gap). --dry-run counts the records and the CM billable units a\n" +
			"real run would cost, without uploading or saving; it first asks CM (reading only) whether the\n" +
			"token is accepted and the source exists, and exits 1 if not; it also shows, per object, the\n" +
			"Salesforce API requests REST and Bulk API 2.0 would take and which one a run would use.\n" +
			"--api chooses how records are read (overriding backfill.api): auto reads through a Bulk API 2.0\n" +
			"query job from backfill.bulk_threshold records (default 50,000), bulk always tries a job first,\n" +
			"rest never does; a refused or failed job is read over REST instead. --follow keeps polling (objects without change\n" +
			"events); deleted records follow each object's on_delete. The run stops cleanly at the API budget\n" +
			"(backfill.api_budget_percent of the org's daily limit) with exit code 3 and says when to resume.\n" +
			"Progress goes to standard error (a bar on a terminal), the summary to standard output.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBackfill(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	fl.StringSliceVar(&f.objects, "object", nil, "backfill only this object (repeatable; default: every configured object)")
	fl.StringVar(&f.since, "since", "", "start at this SystemModstamp if the watermark is earlier (RFC 3339)")
	fl.StringVar(&f.until, "until", "", "end at this SystemModstamp: a window with its own watermark (RFC 3339)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "count records and billable units; upload and save nothing")
	fl.BoolVar(&f.follow, "follow", false, "after catching up, keep polling every backfill.poll_interval")
	fl.StringVar(&f.api, "api", "", "read with auto, bulk or rest (overrides backfill.api; default auto)")
	fl.BoolVar(&f.verbose, "verbose", false, "log every REST call and retry (never secrets)")
	return cmd
}

// request checks the flags and turns them into a backfill.Request.
func (f backfillFlags) request() (backfill.Request, error) {
	req := backfill.Request{Objects: f.objects, Follow: f.follow}
	var err error
	if req.Since, err = parseFlagTime("--since", f.since); err != nil {
		return req, err
	}
	if req.Until, err = parseFlagTime("--until", f.until); err != nil {
		return req, err
	}
	if err := backfill.ValidateAPI(f.api); err != nil {
		return req, usageError{fmt.Errorf("--%w", err)}
	}
	return req, req.Check(f.dryRun)
}

func parseFlagTime(flag, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("%s %s: want an RFC 3339 time such as 2026-03-01T00:00:00Z", flag, quote.Value(value))}
	}
	return t, nil
}

func runBackfill(cmd *cobra.Command, f backfillFlags) error {
	req, err := f.request()
	if err != nil {
		return err
	}
	conf, err := loadConfig(cmd.Context(), f.configPath)
	if err != nil {
		return err
	}
	if f.api != "" {
		conf.Backfill.API = f.api
	}
	if f.dryRun {
		if err := dryRunCMCheck(cmd.Context(), conf); err != nil {
			return err
		}
	}
	progress := backfill.NewProgressView(cmd.ErrOrStderr(), f.dryRun || f.follow)
	deps, err := openDeps(cmd.Context(), conf, backfillLogger(cmd.ErrOrStderr(), f.verbose))
	if err != nil {
		return err
	}
	defer deps.close()
	b, err := deps.engine.Backfill(cmd.Context(), progress.Update)
	if err != nil {
		return asUsage(err)
	}
	if f.dryRun {
		est, err := b.Estimate(cmd.Context(), req)
		progress.Done()
		if len(est.Objects) > 0 {
			backfill.WriteEstimate(cmd.OutOrStdout(), est)
		}
		return backfillError(cmd.Context(), err, f.follow)
	}
	sum, err := b.Run(cmd.Context(), req)
	progress.Done()
	if len(sum.Objects) > 0 {
		backfill.WriteSummary(cmd.OutOrStdout(), sum)
	}
	return backfillError(cmd.Context(), err, f.follow)
}

// dryRunCMCheck asks CM what a real run's first upload would find out
// (the token, the project and the source), so a dry run does not call a
// configuration good that would fail at once. It reads only, and comes
// first: a long estimate is of no use while CM refuses the token.
func dryRunCMCheck(ctx context.Context, conf fileConfig) error {
	if p := engine.CheckCommsMining(ctx, conf.CommsMining); p != "" {
		return exitCodeError{err: fmt.Errorf("%s; nothing was estimated", p), code: exitFailure}
	}
	return nil
}

// backfillError turns a run's error into the command's: the budget stop
// exits 3, an interruption says how to resume, an unknown object is a
// usage error.
func backfillError(ctx context.Context, err error, follow bool) error {
	var be *backfill.BudgetError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be):
		return exitCodeError{err: be, code: exitBudget}
	case errors.Is(err, backfill.ErrUnknownObject):
		return usageError{err}
	case ctx.Err() != nil && follow:
		return nil // following ends with a signal
	case ctx.Err() != nil:
		return errors.New("interrupted before the end: progress is saved; run the same command again to resume")
	}
	return err
}

// backfillLogger writes warnings (retries, dead letters), or with
// verbose every REST call too, as text to w, through redact's handler
// like every command's logger: tokens are redacted types and never passed
// to the logger, and a library's error quoting one is cleaned.
func backfillLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return redact.TextLogger(w, level)
}
