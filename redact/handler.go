package redact

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// KeyMarker replaces the whole value logged under a key that names a
// credential (SecretKey).
const KeyMarker = "[REDACTED]"

// secretKeys are attribute keys (lower case) whose values are never
// written, whatever they hold.
var secretKeys = map[string]bool{
	"authorization": true, "accesstoken": true, "access_token": true, "refresh_token": true, "id_token": true,
	"token": true, "client_secret": true, "assertion": true, "client_assertion": true, "password": true,
	"private_key": true, "secret": true,
}

// SecretKey reports whether a log attribute named key holds a credential
// by its name alone (access_token, Authorization, password, …).
func SecretKey(key string) bool { return secretKeys[strings.ToLower(key)] }

// Handler is a slog.Handler that hands its inner handler records without
// secrets: the message and every string or error value (in groups too,
// and in the attributes given to WithAttrs) pass through Text, and the
// value of an attribute whose key names a credential is replaced whole by
// KeyMarker. The code never logs a secret on purpose; this keeps a
// library's error that quotes a URL or a server's answer, or a future
// mistake, out of the log.
type Handler struct {
	inner slog.Handler
}

// NewHandler wraps inner so that nothing credential-shaped reaches it.
func NewHandler(inner slog.Handler) *Handler { return &Handler{inner: inner} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle implements slog.Handler: a copy of r, cleaned, goes to the inner
// handler (a record's attributes cannot be replaced in place).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	clean := slog.NewRecord(r.Time, r.Level, Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		clean.AddAttrs(Attr(a))
		return true
	})
	return h.inner.Handle(ctx, clean)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = Attr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(clean)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name)}
}

// Attr returns a without secrets: KeyMarker for a credential-named key,
// Text applied to a string, an error or a fmt.Stringer, groups cleaned
// member by member. A LogValuer is resolved first, so the value it stands
// for is what gets cleaned.
func Attr(a slog.Attr) slog.Attr {
	if SecretKey(a.Key) {
		return slog.String(a.Key, KeyMarker)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Text(v.String()))
	case slog.KindGroup:
		members := v.Group()
		clean := make([]slog.Attr, len(members))
		for i, m := range members {
			clean[i] = Attr(m)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Text(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Text(x.String()))
		case []byte:
			return slog.String(a.Key, Text(string(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// The formats Logger writes.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Logger is the logger every sfcdc command builds: records at level and
// above written to w as text (logfmt) or as one JSON object per line,
// through a Handler. An unknown format is an error naming it.
func Logger(w io.Writer, level slog.Level, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case "", FormatText:
		return TextLogger(w, level), nil
	case FormatJSON:
		return slog.New(NewHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("choose log format %s: want %s or %s", quote.Value(format), FormatText, FormatJSON)
}

// TextLogger is Logger in the text format, which cannot fail.
func TextLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(NewHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})))
}
