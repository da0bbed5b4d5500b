package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/spf13/cobra"
)

// runFlags are the knobs of `sfcdc run`.
type runFlags struct {
	configPath string
	verbose    bool
}

func newRunCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Stream every configured object's changes into CM until SIGINT/SIGTERM",
		Long: "Runs one worker per Pub/Sub topic of the configured objects (run.polling_objects are polled over\n" +
			"REST instead). A topic never streamed before starts as run.start says (default: backfill over REST,\n" +
			"then stream from EARLIEST). An expired replay ID or a vanished checkpoint is never resumed at LATEST:\n" +
			"run.recovery backfill (default) re-reads the uncovered window over REST, stop exits with the error.\n" +
			"Another instance holding a topic's lease makes this one a standby for it. On SIGINT/SIGTERM uploads\n" +
			"drain, checkpoints are flushed and leases released within run.shutdown_grace (default 30s); exit 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDaemon(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "log at debug level (never secrets)")
	return cmd
}

func runDaemon(cmd *cobra.Command, f runFlags) error {
	conf, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	if err := conf.Run.validate(); err != nil {
		return err
	}
	log := runLogger(cmd.ErrOrStderr(), f.verbose)
	d, err := openDeps(cmd.Context(), conf, log)
	if err != nil {
		return err
	}
	defer d.close()
	cfg := conf.Run.daemonConfig(d.org, conf.Run.holder())
	if cfg.PollingObjects, err = pollingObjects(cmd.Context(), conf, d); err != nil {
		return err
	}
	daemon, ps, err := newDaemon(cfg, conf, d, log)
	if err != nil {
		return err
	}
	defer ps.Close()
	log.Info("running", "holder", cfg.Holder, "topics", len(daemon.Topics()), "polling_objects", cfg.PollingObjects)
	return runUntilSignal(cmd.Context(), daemon, conf.Run.grace())
}

// pollingObjects is run.polling_objects plus, with run.detect_polling,
// the other objects Salesforce has no change event for.
func pollingObjects(ctx context.Context, conf fileConfig, d *deps) ([]string, error) {
	polling := slices.Clone(conf.Run.PollingObjects)
	if !conf.Run.detectPolling() {
		return polling, nil
	}
	var ask []mapper.ObjectMapping
	for _, om := range conf.Objects {
		if !slices.Contains(polling, om.Object) {
			ask = append(ask, om)
		}
	}
	found, err := pipeline.ObjectsWithoutChangeEvents(ctx, d.sf, ask)
	if err != nil {
		return nil, err
	}
	return append(polling, found...), nil
}

// newDaemon builds the Pub/Sub client and the daemon over d.
func newDaemon(cfg pipeline.DaemonConfig, conf fileConfig, d *deps, log *slog.Logger) (*pipeline.Daemon, *pubsub.Client, error) {
	psCfg := conf.Salesforce.pubsubConfig()
	psCfg.Logger = log
	ps, err := pubsub.NewClient(psCfg, d.creds)
	if err != nil {
		return nil, nil, usageError{err}
	}
	fill, err := newBackfill(conf, d, log, nil)
	if err != nil {
		_ = ps.Close()
		return nil, nil, err
	}
	daemon, err := pipeline.NewDaemon(cfg,
		pipeline.Options{PubSub: ps, Records: d.sf, Mapper: d.mapper, Store: d.store, Upload: conf.CommsMining, Logger: log}, fill)
	if err != nil {
		_ = ps.Close()
		return nil, nil, usageError{err}
	}
	return daemon, ps, nil
}

// runUntilSignal runs the daemon until ctx ends (a signal), then gives it
// grace to drain. Past the grace the command fails rather than hang; the
// process exits, and whatever did not drain is not checkpointed, so the
// next start receives it again.
func runUntilSignal(ctx context.Context, daemon *pipeline.Daemon, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("shutdown did not finish within run.shutdown_grace %s: undrained work is received again on the next start", grace)
	}
}

// runLogger writes info and above (debug with verbose) as text to w.
func runLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
