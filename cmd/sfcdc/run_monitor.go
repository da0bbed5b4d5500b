package main

import (
	"log/slog"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/monitor"
)

// defaultMonitoringListen is where the monitor listens when neither
// monitoring.listen nor --listen says; a variable so tests can point it at
// an address they hold.
var defaultMonitoringListen = monitor.DefaultListen

// startMonitor serves the engine's figures as configured. The figures are
// read at each scrape, from the daemon's snapshot and the REST client's
// counters; nothing is added to the hot path.
func startMonitor(m monitor.Settings, eng *engine.Engine, log *slog.Logger) (*monitor.Server, error) {
	cfg := m.Config()
	cfg.Topics = eng.Snapshot
	cfg.Process = eng.MonitorProcess
	return serveMonitor(m, cfg, log)
}

// serveMonitor is monitor.Serve at the default address; a configured
// address that is busy is a usage error (exit 2).
func serveMonitor(m monitor.Settings, cfg monitor.Config, log *slog.Logger) (*monitor.Server, error) {
	srv, err := monitor.Serve(m, cfg, defaultMonitoringListen, log)
	if err != nil {
		return nil, usageError{err}
	}
	return srv, nil
}
