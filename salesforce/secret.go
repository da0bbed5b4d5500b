package salesforce

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (client secret, refresh or access token). Every
// way of printing it, logging it or encoding it as JSON shows [REDACTED],
// so a Secret that reaches a log line or an error by mistake leaks nothing.
// Reveal is the one way to the value, used where it goes on the wire.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts.
func (s Secret) String() string { return redacted }

// GoString redacts (%#v).
func (s Secret) GoString() string { return redacted }

// Format redacts under every verb, %x and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue redacts in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON redacts; stores encode the value explicitly.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText redacts (YAML, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
