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
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/spf13/cobra"
)

// runFlags are the knobs of `sfcdc run`.
type runFlags struct {
	configPath string
	verbose    bool
	listen     string // overrides monitoring.listen
	logFormat  string // text (default) or json
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
			"drain, checkpoints are flushed and leases released within run.shutdown_grace (default 30s); exit 0.\n" +
			"Metrics (/metrics, Prometheus), liveness (/healthz) and readiness (/readyz) are served on\n" +
			"monitoring.listen (default 127.0.0.1:9464; off disables) until the drain ends.\n" +
			"Dead letters are retried automatically (run.dead_letters; one instance per org at a time) and parked\n" +
			"after run.dead_letters.max_attempts; see `sfcdc deadletters`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDaemon(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "log at debug level (never secrets)")
	cmd.Flags().StringVar(&f.listen, "listen", "", "serve /metrics, /healthz and /readyz on ADDR (host:port, or off); overrides monitoring.listen")
	cmd.Flags().StringVar(&f.logFormat, "log-format", logFormatText, "log format on stderr: text or json (one JSON object per line)")
	return cmd
}

func runDaemon(cmd *cobra.Command, f runFlags) (err error) {
	log, err := runLogger(cmd.ErrOrStderr(), f.verbose, f.logFormat)
	if err != nil {
		return err
	}
	// Every layer's retry warnings go through incidents: an outage of CM,
	// Salesforce or the store is logged when it starts and when it clears.
	incidents := pipeline.NewIncidents()
	log = slog.New(incidents.Handler(log.Handler()))
	if f.logFormat == logFormatJSON {
		// The process's last line (the error it stops with) is JSON too.
		defer func() {
			if err != nil {
				err = loggedFailure{err: err, log: log}
			}
		}()
	}
	conf, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	if err := conf.Run.validate(); err != nil {
		return err
	}
	monitoring := conf.Monitoring.withListen(f.listen)
	if err := monitoring.validate(); err != nil {
		return err
	}
	// Libraries that log through slog's default (or the log package) then
	// write in the same format, so --log-format json keeps every line JSON.
	slog.SetDefault(log)
	useSlogForLibraries(log)
	d, err := openDeps(cmd.Context(), conf, log)
	if err != nil {
		return err
	}
	defer d.close()
	cfg := conf.Run.daemonConfig(d.org, conf.Run.holder())
	if cfg.PollingObjects, err = pollingObjects(cmd.Context(), conf, d); err != nil {
		return err
	}
	var retrier pipeline.DeadLetterRetrier
	if conf.Run.DeadLetters.enabled() {
		if retrier, err = newDeadLetterRetrier(conf, f.configPath, d, log, cfg.Holder); err != nil {
			return err
		}
	}
	daemon, ps, err := newDaemon(cfg, conf, d, log, incidents, retrier)
	if err != nil {
		return err
	}
	defer ps.Close()
	// The monitor starts before the daemon runs and, deferred last, stops
	// first among the deferred closes: after the drain, so /healthz answers
	// as long as the main loop runs.
	mon, err := startMonitor(monitoring, daemon, d, log)
	if err != nil {
		return err
	}
	defer mon.stop(log)
	log.Info("running", "holder", cfg.Holder, "topics", len(daemon.Topics()), "polling_objects", cfg.PollingObjects,
		"monitoring", mon.addr())
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

// newDaemon builds the Pub/Sub client and the daemon over d; retrier, when
// set, retries dead letters while the daemon runs.
func newDaemon(cfg pipeline.DaemonConfig, conf fileConfig, d *deps, log *slog.Logger, incidents *pipeline.Incidents,
	retrier pipeline.DeadLetterRetrier) (*pipeline.Daemon, *pubsub.Client, error) {
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
		pipeline.Options{PubSub: ps, Records: d.sf, Mapper: d.mapper, Store: d.store, Upload: conf.CommsMining, Logger: log,
			Incidents: incidents, DeadLetters: retrier}, fill)
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

// The --log-format values.
const (
	logFormatText = "text"
	logFormatJSON = "json"
)

// runLogger writes info and above (debug with verbose) to w as text, or
// as one JSON object per line, through redact's handler: a value logged
// under a key that names a credential, and credential-shaped text in a
// message or a value, never reach w.
func runLogger(w io.Writer, verbose bool, format string) (*slog.Logger, error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log, err := redact.Logger(w, level, format)
	if err != nil {
		return nil, usageError{fmt.Errorf("--log-format %s: want text or json", quote.Value(format))}
	}
	return log, nil
}
