package commsmining

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a simulator. The zero value is a working simulator on a
// random loopback port with a random token and no sources.
type Options struct {
	// Addr is the listen address for Start. Zero: 127.0.0.1:0 (a free port).
	Addr string
	// Token is the API token clients must send as "Bearer <token>".
	// Zero: a random token (see Server.Token).
	Token string
	// PathPrefix serves the API under a path, e.g. "/org/tenant/reinfer_"
	// for the Automation Cloud URL form. Zero: at the root.
	PathPrefix string
	// Sources are created at start, each as "project/source".
	Sources []string
	// MaxBatch is the most comments one sync accepts. Zero: 16,384 (CM's
	// documented limit).
	MaxBatch int
	// MaxBodyBytes caps a request body; larger ones get 413. Zero: 64 MiB.
	MaxBodyBytes int64
	// RejectUnknownFields refuses sync requests with unknown JSON fields
	// (400), which catches misspelt fields in a client's output. Zero:
	// unknown fields are ignored, as serde-based APIs like CM's do by
	// default (CM does not document it); that path also decodes about twice
	// as fast.
	RejectUnknownFields bool
	// RecordReceipts keeps a Receipt per comment per accepted sync.
	RecordReceipts bool
	// OnReceipt, if set, sees each Receipt as it happens (under the
	// simulator's lock: it must be quick and must not call the Server), for
	// drivers that measure without keeping a log.
	OnReceipt func(Receipt)
	// Lean keeps two 64-bit digests per comment instead of the comment
	// (see lean.go): same answers and meter, but comments cannot be read
	// back. For benchmarks of hundreds of thousands of comments. Sync
	// bodies are read with a hand-written decoder into pooled buffers
	// (see leandecode.go), unless RejectUnknownFields is set; the answers
	// to valid and invalid requests are those of the full mode.
	Lean bool
	// SyncTimePerComment makes a sync take this long per comment it
	// carries, as a real CM does (its documentation warns that large sync
	// requests are slow): the comments are applied, then the answer is held
	// for their time, so a client that gives up first finds them stored.
	// Zero: answered at once.
	SyncTimePerComment time.Duration
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Logger receives one line per request at debug level. Zero: discard.
	Logger *slog.Logger
}

// Server is a simulated CM API.
type Server struct {
	opts    Options
	handler http.Handler
	closing chan struct{}

	mu       sync.Mutex
	sources  map[string]*Source // by "project/name"
	faults   []Fault
	stats    Stats
	receipts []Receipt

	listener net.Listener
	http     *http.Server
	served   chan struct{}
	closed   sync.Once
}

// New returns a simulator that is not listening; serve Handler yourself,
// or use Start.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = randomToken()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 16384
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PathPrefix = strings.TrimSuffix(opts.PathPrefix, "/")
	if opts.PathPrefix != "" && !strings.HasPrefix(opts.PathPrefix, "/") {
		return nil, fmt.Errorf("create simulator: PathPrefix %q must start with /", opts.PathPrefix)
	}
	s := &Server{opts: opts, closing: make(chan struct{}), sources: map[string]*Source{},
		stats: Stats{Requests: map[Endpoint]int64{}}}
	for _, full := range opts.Sources {
		project, name, ok := strings.Cut(full, "/")
		if !ok || !validName(project) || !validName(name) {
			return nil, fmt.Errorf("create simulator: source %q must be project/source", full)
		}
		s.CreateSource(project, name)
	}
	s.handler = s.routes()
	return s, nil
}

// Start creates a simulator and serves it on a loopback socket.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	s.listener = ln
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln) // returns ErrServerClosed on Close
	}()
	return s, nil
}

// URL is the base URL clients configure, including PathPrefix (empty if the
// server was made with New).
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String() + s.opts.PathPrefix
}

// Token is the API token the simulator accepts.
func (s *Server) Token() string { return s.opts.Token }

// Handler serves the API (for mounting in another server).
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the server, releases requests held by faults, and waits for
// the serving goroutine.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.closing)
		if s.http != nil {
			err = s.http.Close()
			<-s.served
		}
	})
	return err
}

// CreateSource creates a source if it does not exist and returns it.
func (s *Server) CreateSource(project, name string) Source {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := project + "/" + name
	src, ok := s.sources[key]
	if !ok {
		src = newSource(project, name, s.opts.Now())
		if s.opts.Lean {
			src.digests = map[string]commentDigest{}
		}
		s.sources[key] = src
	}
	return src.public()
}

func (src *Source) public() Source {
	out := *src
	out.comments, out.digests = nil, nil
	return out
}

// Comment returns a stored comment.
func (s *Server) Comment(project, source, id string) (Comment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[project+"/"+source]
	if !ok {
		return Comment{}, false
	}
	c, ok := src.comments[id]
	if !ok {
		return Comment{}, false
	}
	return *c, true
}

// Comments returns a source's comments, sorted by timestamp and ID.
func (s *Server) Comments(project, source string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[project+"/"+source]
	if !ok {
		return nil
	}
	var out []Comment
	for _, c := range src.sortedComments() {
		out = append(out, *c)
	}
	return out
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "sim-" + hex.EncodeToString(b)
}

// validName is CM's source and project name rule (projects also allow ".").
func validName(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	return !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
	})
}

// authorized checks the bearer token in constant time.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) == 1
}

// writeJSON writes a JSON body with a status.
func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"status":"error","message":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data) // the client may be gone; nothing to do about it
}

func writeError(w http.ResponseWriter, status int, msg string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeJSON(w, status, errorEnvelope{Status: "error", Message: msg})
}

var errClosing = errors.New("simulator closing")
