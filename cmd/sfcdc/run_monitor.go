package main

import (
	"context"
	"errors"
	"log/slog"
	"syscall"
	"time"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/monitor"
)

// monitorCloseTimeout bounds the wait for scrapes in progress at exit.
const monitorCloseTimeout = 5 * time.Second

// runMonitor is the monitoring server of `sfcdc run`, or nothing when
// monitoring.listen is off.
type runMonitor struct {
	srv *monitor.Server
}

// defaultMonitoringListen is where the monitor listens when neither
// monitoring.listen nor --listen says; a variable so tests can point it at
// an address they hold.
var defaultMonitoringListen = monitor.DefaultListen

// startMonitor serves the engine's figures as configured. The figures are
// read at each scrape, from the daemon's snapshot and the REST client's
// counters; nothing is added to the hot path.
func startMonitor(m monitor.Settings, eng *engine.Engine, log *slog.Logger) (*runMonitor, error) {
	cfg := m.Config()
	cfg.Topics = eng.Snapshot
	cfg.Process = eng.MonitorProcess
	return serveMonitor(m, cfg, log)
}

// serveMonitor starts the server of cfg unless monitoring is off. A busy
// address is an error when it was configured; the default address being
// busy only costs this process its endpoints (with a warning), because a
// second instance on the same host — a standby — is a normal deployment
// and must not fail to start over its metrics port.
func serveMonitor(m monitor.Settings, cfg monitor.Config, log *slog.Logger) (*runMonitor, error) {
	if !m.Enabled() {
		return &runMonitor{}, nil
	}
	explicit := cfg.Listen != ""
	if !explicit {
		cfg.Listen = defaultMonitoringListen
	}
	cfg.Logger = log
	srv, err := monitor.Start(cfg)
	if err != nil && !explicit && errors.Is(err, syscall.EADDRINUSE) {
		log.Warn("running without /metrics, /healthz and /readyz: the default monitoring address is in use "+
			"(another sfcdc on this host?); set monitoring.listen or --listen to a free address", "listen", cfg.Listen)
		return &runMonitor{}, nil
	}
	if err != nil {
		return nil, usageError{err}
	}
	return &runMonitor{srv: srv}, nil
}

// addr is where the monitor listens, "off" when it does not.
func (r *runMonitor) addr() string {
	if r.srv == nil {
		return monitor.Off
	}
	return r.srv.Addr()
}

// stop ends the server, letting scrapes in progress finish (bounded).
func (r *runMonitor) stop(log *slog.Logger) {
	if r.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), monitorCloseTimeout)
	defer cancel()
	if err := r.srv.Close(ctx); err != nil {
		log.Warn("the monitoring server did not close cleanly", "error", err)
	}
}
