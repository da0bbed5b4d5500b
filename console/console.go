package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/status"
)

// Integration is one integration as the console shows it.
type Integration struct {
	Name   string    `json:"name"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	// AuthenticateURL is set while the integration needs its admin to
	// authorise it (pending_auth, needs_reauth).
	AuthenticateURL string     `json:"authenticate_url,omitempty"`
	LastEventAt     *time.Time `json:"last_event_at"`
	LagSeconds      float64    `json:"lag_seconds"`
	// CommentsToday counts the comments CM created or updated during the
	// current UTC day, and BillableToday those it bills (created, or text
	// changed), by every instance that ran the integration today.
	CommentsToday     int64  `json:"comments_today"`
	BillableToday     int64  `json:"billable_units_today"`
	DeadLetters       int    `json:"dead_letters"`
	ParkedDeadLetters int    `json:"parked_dead_letters"`
	Units             []Unit `json:"units"`
	// Topics are filled on one integration's page only.
	Topics []status.Topic `json:"topics,omitempty"`
}

// Unit is one of the integration's units and where it runs.
type Unit struct {
	Part     string `json:"part"`
	State    string `json:"state"`
	Instance string `json:"instance,omitempty"`
}

// ErrUnknown: no integration of that name.
var ErrUnknown = errors.New("unknown integration")

// Source reads what the pages show.
type Source interface {
	Integrations(ctx context.Context) ([]Integration, error)
	Integration(ctx context.Context, name string) (Integration, error)
}

// Config is what the console needs.
type Config struct {
	Source Source
	// AdminToken guards every request; empty with Open: no guard (a
	// listener of its own on loopback).
	AdminToken redact.Secret
	Open       bool
	Logger     *slog.Logger
	Now        func() time.Time
}

// Handler serves GET /, GET /integrations/{project}/{name} and the JSON
// under /api/v1/integrations.
func Handler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &console{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.guard(c.listPage))
	mux.HandleFunc("GET /integrations/{project}/{name}", c.guard(c.onePage))
	mux.HandleFunc("GET /api/v1/integrations", c.guard(c.listJSON))
	mux.HandleFunc("GET /api/v1/integrations/{project}/{name}", c.guard(c.oneJSON))
	return mux
}

type console struct{ cfg Config }

// guard lets a request through with the admin token.
func (c *console) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c.cfg.AdminToken == "" && c.cfg.Open {
			next(w, r)
			return
		}
		given := ""
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
			given = strings.TrimPrefix(auth, "Bearer ")
		} else if _, pass, ok := r.BasicAuth(); ok {
			given = pass
		}
		if c.cfg.AdminToken == "" || subtle.ConstantTimeCompare([]byte(given), []byte(c.cfg.AdminToken.Reveal())) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="sfcdc operator console", charset="UTF-8"`)
			http.Error(w, "the operator console needs the admin token: send it as a Bearer token, or as the password when the browser asks", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func (c *console) listPage(w http.ResponseWriter, r *http.Request) {
	list, err := c.cfg.Source.Integrations(r.Context())
	if err != nil {
		c.fail(w, "read the integrations", err)
		return
	}
	c.render(w, http.StatusOK, listTemplate, listView{Integrations: list, Now: c.cfg.Now()})
}

func (c *console) onePage(w http.ResponseWriter, r *http.Request) {
	in, err := c.cfg.Source.Integration(r.Context(), r.PathValue("project")+"/"+r.PathValue("name"))
	if errors.Is(err, ErrUnknown) {
		http.Error(w, "no integration of this name; the list at / shows the configured ones", http.StatusNotFound)
		return
	}
	if err != nil {
		c.fail(w, "read the integration", err)
		return
	}
	c.render(w, http.StatusOK, oneTemplate, oneView{Integration: in, Now: c.cfg.Now()})
}

func (c *console) listJSON(w http.ResponseWriter, r *http.Request) {
	list, err := c.cfg.Source.Integrations(r.Context())
	if err != nil {
		c.failJSON(w, "read the integrations", err)
		return
	}
	if list == nil {
		list = []Integration{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": list})
}

func (c *console) oneJSON(w http.ResponseWriter, r *http.Request) {
	in, err := c.cfg.Source.Integration(r.Context(), r.PathValue("project")+"/"+r.PathValue("name"))
	if errors.Is(err, ErrUnknown) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no integration of this name"})
		return
	}
	if err != nil {
		c.failJSON(w, "read the integration", err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (c *console) fail(w http.ResponseWriter, action string, err error) {
	c.cfg.Logger.Error("an operator page failed", "action", action, "err", err.Error())
	http.Error(w, "could not "+action+"; the service's log says why", http.StatusInternalServerError)
}

func (c *console) failJSON(w http.ResponseWriter, action string, err error) {
	c.cfg.Logger.Error("an operator API call failed", "action", action, "err", err.Error())
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not " + action + "; the service's log says why"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (c *console) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		c.fail(w, "render the page", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
