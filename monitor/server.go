package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/quote"
)

// DefaultListen is where the monitor listens unless configured: loopback,
// so the endpoints are not exposed beyond the host by default.
const DefaultListen = "127.0.0.1:9464"

// Config is what a monitor serves. Zero values take the documented
// defaults.
type Config struct {
	// Listen is the host:port to serve on. Zero: DefaultListen.
	Listen string
	// ReadyWindow is how long a streaming topic may go without an event or
	// keepalive and stay ready. Zero: DefaultReadyWindow.
	ReadyWindow time.Duration
	// Topics returns the topics' figures; it is called at every scrape and
	// readiness probe, from the server's goroutines. Nil: no topics.
	Topics func() []figures.Topic
	// Process returns the process-wide figures, likewise. Nil: zeros.
	Process func() Process
	// Integrations, for a process running many integrations (sfcdc
	// serve), returns each one's topics, called like Topics; set, the
	// per-topic series carry an integration label before topic, and
	// Topics must be nil (one label set per metric name).
	Integrations func() []Integration
	// Collectors are more metrics of the process (sfcdc serve's counts of
	// integrations), registered beside the sfcdc ones.
	Collectors []prometheus.Collector
	// Ready, when set, answers /readyz instead of the topics' readiness:
	// ready, or the lines saying why not (sfcdc serve: every enabled
	// integration's units owned).
	Ready func(ctx context.Context) (ready bool, why []string, err error)
	// Pages, when set, serves every other path on the same listener
	// (sfcdc serve's onboarding pages). Nil: 404.
	Pages http.Handler
	// Logger receives the server's own errors. Nil: discarded.
	Logger *slog.Logger
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

// Integration is the topics of one integration of a process that runs
// many; Name is its label value.
type Integration struct {
	Name   string
	Topics []figures.Topic
}

// Validate names each bad setting and its fix.
func (c Config) Validate() error {
	var err error
	if c.Integrations != nil && c.Topics != nil {
		err = errors.New("monitor: Topics and Integrations exclude each other (the per-topic series have one label set)")
	}
	if c.ReadyWindow < 0 {
		err = errors.Join(err, fmt.Errorf("ready_window: %s is negative; use 0 for the default %s", c.ReadyWindow, DefaultReadyWindow))
	}
	if c.Listen != "" {
		if _, _, perr := net.SplitHostPort(c.Listen); perr != nil {
			err = errors.Join(err, fmt.Errorf("listen: %s is not host:port (e.g. %s, or :9464 for every interface)", quote.Value(c.Listen), DefaultListen))
		}
	}
	return err
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.ReadyWindow == 0 {
		c.ReadyWindow = DefaultReadyWindow
	}
	if c.Topics == nil {
		c.Topics = func() []figures.Topic { return nil }
	}
	if c.Process == nil {
		c.Process = func() Process { return Process{} }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is a running monitor: one goroutine serving HTTP, owned by the
// Server and ended by Close.
type Server struct {
	cfg   Config
	ready *readiness
	ln    net.Listener
	http  *http.Server
	done  chan struct{}
}

// Start listens on cfg.Listen and serves /metrics, /healthz and /readyz
// until Close.
func Start(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid monitoring configuration: %w", err)
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, ready: newReadiness(cfg.ReadyWindow), done: make(chan struct{})}
	reg := prometheus.NewRegistry()
	if err := reg.Register(&collector{topics: cfg.Topics, integrations: cfg.Integrations, process: cfg.Process, ready: s.ready, now: cfg.Now}); err != nil {
		return nil, fmt.Errorf("register the sfcdc metrics: %w", err)
	}
	for _, c := range cfg.Collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register the sfcdc metrics: %w", err)
		}
	}
	// The Go runtime and process metrics (memory, goroutines, open files)
	// are the first thing to look at when the daemon misbehaves.
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // one bad series must not hide the others
	}))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Pages != nil {
		mux.Handle("/", cfg.Pages)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen for monitoring on %s: %w (set monitoring.listen or --listen to a free address, or off)", cfg.Listen, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	go s.serve()
	return s, nil
}

func (s *Server) serve() {
	defer close(s.done)
	if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.cfg.Logger.Error("the monitoring server stopped", "listen", s.ln.Addr().String(), "error", err)
	}
}

// Addr is the address the server listens on (the real port when the
// configured one was 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, lets requests in progress finish until ctx ends,
// then waits for the serving goroutine.
func (s *Server) Close(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close() // ctx ended: cut the remaining connections
	}
	<-s.done
	return err
}

// healthz answers while the server runs: the process is alive and its
// main loop has not returned (the server is closed when it does).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz is 200 when every topic is ready and 503 otherwise, with one line
// per topic saying whether it is ready and, if not, why.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		s.readyzBy(w, r)
		return
	}
	now := s.cfg.Now()
	var b strings.Builder
	notReady := 0
	for _, t := range uniqueTopics(s.cfg.Topics()) {
		if why := s.ready.check(t.Topic, t, now); why != "" {
			notReady++
			fmt.Fprintf(&b, "%s: not ready: %s\n", t.Topic, why)
		} else {
			fmt.Fprintf(&b, "%s: ready (%s)\n", t.Topic, t.State)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if notReady > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %d topic(s)\n%s", notReady, b.String())
		return
	}
	fmt.Fprintf(w, "ready\n%s", b.String())
}

// readyzBy answers /readyz from Config.Ready: 200 "ready", or 503 with
// each reason on a line (also when Ready cannot tell: the store is out of
// reach).
func (s *Server) readyzBy(w http.ResponseWriter, r *http.Request) {
	ready, why, err := s.cfg.Ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
	case !ready:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %d\n%s\n", len(why), strings.Join(why, "\n"))
	default:
		fmt.Fprintln(w, "ready")
	}
}
