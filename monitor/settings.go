package monitor

import (
	"strings"
	"time"
)

// Off is the Settings.Listen value (and sfcdc run's --listen) that turns
// the monitoring server off.
const Off = "off"

// Settings is `monitoring:` in sfcdc's configuration file: where the
// process serves /metrics, /healthz and /readyz. Every zero value takes the
// documented default.
type Settings struct {
	// Listen is host:port to serve on, or off. Zero: 127.0.0.1:9464
	// (loopback only; use :9464 to let a scraper on another host in). A
	// configured address in use is an error; the default one in use (a
	// second instance on the host) leaves the process without endpoints,
	// with a warning.
	Listen string `yaml:"listen"`
	// ReadyWindow is how long a streaming topic may go without an event or
	// a keepalive and still be ready (Salesforce sends a keepalive within
	// 270s of silence). Zero: 330s.
	ReadyWindow time.Duration `yaml:"ready_window"`
}

// WithListen applies a --listen flag, which wins over the file; "" keeps
// the file's.
func (s Settings) WithListen(flag string) Settings {
	if flag != "" {
		s.Listen = flag
	}
	return s
}

// Enabled reports whether the server is to run (Listen is not off).
func (s Settings) Enabled() bool { return !strings.EqualFold(s.Listen, Off) }

// Validate names each bad key and its fix; off needs no address.
func (s Settings) Validate() error {
	if !s.Enabled() {
		s.Listen = ""
	}
	return s.Config().Validate()
}

// Config is the server's view of the settings; the snapshot functions are
// the caller's to add.
func (s Settings) Config() Config {
	return Config{Listen: s.Listen, ReadyWindow: s.ReadyWindow}
}
