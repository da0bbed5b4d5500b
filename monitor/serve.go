package monitor

import (
	"context"
	"errors"
	"log/slog"
	"syscall"
	"time"
)

// closeTimeout bounds Shutdown's wait for scrapes in progress.
const closeTimeout = 5 * time.Second

// Serve starts the server of cfg as the settings m say, for a process
// that may run beside another instance on the same host: with monitoring
// off it returns nil (a nil *Server is a server that is off). Without
// cfg.Listen it listens on defaultListen, and that address being busy
// only costs this process its endpoints, with a warning, because a second
// instance on the same host (a standby) is a normal deployment and must
// not fail to start over its metrics port; a configured address being busy
// is an error.
func Serve(m Settings, cfg Config, defaultListen string, log *slog.Logger) (*Server, error) {
	if !m.Enabled() {
		return nil, nil
	}
	explicit := cfg.Listen != ""
	if !explicit {
		cfg.Listen = defaultListen
	}
	cfg.Logger = log
	srv, err := Start(cfg)
	if err != nil && !explicit && errors.Is(err, syscall.EADDRINUSE) {
		log.Warn("running without /metrics, /healthz and /readyz: the default monitoring address is in use "+
			"(another sfcdc on this host?); set monitoring.listen or --listen to a free address", "listen", cfg.Listen)
		return nil, nil
	}
	return srv, err
}

// Listening is where s listens, Off for a nil server.
func (s *Server) Listening() string {
	if s == nil {
		return Off
	}
	return s.Addr()
}

// Shutdown closes s, letting scrapes in progress finish for up to 5 s,
// and logs a close that was not clean. A nil server has nothing to close.
func (s *Server) Shutdown(log *slog.Logger) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		log.Warn("the monitoring server did not close cleanly", "error", err)
	}
}
