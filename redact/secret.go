package redact

import (
	"fmt"
	"log/slog"
)

// Secret is a credential (a Salesforce client secret, refresh or access
// token, a console's admin token, a webhook's signing key). Every way of
// printing, logging or encoding it shows [REDACTED], so a struct holding
// one that reaches a log line, an error or a page by mistake leaks
// nothing; Reveal is the way to the value, where it goes on the wire or is
// compared. salesforce.Secret and notify.Secret are this type.
type Secret string

// Redacted is what a Secret shows.
const Redacted = "[REDACTED]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts.
func (s Secret) String() string { return Redacted }

// GoString redacts (%#v).
func (s Secret) GoString() string { return Redacted }

// Format redacts under every verb, %x and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue redacts in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON redacts; a store encodes the value explicitly.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText redacts (YAML, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
