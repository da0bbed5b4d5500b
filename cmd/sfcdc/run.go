package main

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/pipeline"
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
	conf, err := loadConfig(cmd.Context(), f.configPath)
	if err != nil {
		return err
	}
	monitoring := conf.Monitoring.WithListen(f.listen)
	if err := validateMonitoring(monitoring); err != nil {
		return err
	}
	// Libraries that log through slog's default (or the log package) then
	// write in the same format, so --log-format json keeps every line JSON.
	slog.SetDefault(log)
	useLibraryLog(log)
	store, err := openStore(cmd.Context(), conf.Store)
	if err != nil {
		return err
	}
	defer store.Close()
	deps := engineDeps(conf, store, log, incidents)
	// The monitor starts once the engine has its daemon, before anything
	// streams, and, deferred last, stops first among the deferred closes:
	// after the drain, so /healthz answers as long as the main loop runs.
	// Ready runs on the engine's goroutine: the monitor is handed over
	// through an atomic pointer.
	var mon atomic.Pointer[monitor.Server]
	var eng *engine.Engine
	deps.Ready = func(r engine.Ready) error {
		m, err := startMonitor(monitoring, eng, log)
		if err != nil {
			return err
		}
		mon.Store(m)
		log.Info("running", "holder", r.Holder, "topics", len(r.Topics), "polling_objects", r.PollingObjects,
			"monitoring", m.Listening())
		return nil
	}
	if eng, err = engine.New(conf.Spec, deps); err != nil {
		return asUsage(err)
	}
	defer eng.Close()
	defer func() {
		mon.Load().Shutdown(log)
	}()
	return asUsage(eng.RunWithin(cmd.Context(), conf.Run.Grace()))
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
