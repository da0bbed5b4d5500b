package redact

import (
	"fmt"
	"log/slog"
)

// Secret is a credential held in a setting (a console's admin token, a
// webhook's signing key). Every way of printing, logging or encoding it
// shows [REDACTED], so a settings struct that reaches a log line, an error
// or a page by mistake leaks nothing; string(s) is its value, for the one
// place that uses it.
type Secret string

// Redacted is what a Secret shows.
const Redacted = "[REDACTED]"

// String redacts.
func (s Secret) String() string { return Redacted }

// GoString redacts (%#v).
func (s Secret) GoString() string { return Redacted }

// Format redacts under every verb, %x and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue redacts in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText redacts (YAML, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
