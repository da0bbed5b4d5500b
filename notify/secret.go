package notify

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/sfcdc/sfcdc/redact"
)

// Secret is the webhook's signing key; every way of printing, logging or
// encoding it shows [REDACTED] (redact.Secret); Sign is the one use of its
// value.
type Secret = redact.Secret

const redacted = redact.Redacted

// WebhookURL is the webhook's address. Printed, logged or encoded it
// shows only its scheme and host: webhooks such as Slack's carry their
// own credential in the path or query.
type WebhookURL string

// String is the scheme and host, with "/…" when a path or query is hidden.
func (u WebhookURL) String() string {
	p, err := url.Parse(string(u))
	if err != nil || p.Host == "" {
		if u == "" {
			return ""
		}
		return redacted
	}
	s := p.Scheme + "://" + p.Host
	if p.Path != "" && p.Path != "/" || p.RawQuery != "" {
		s += "/…"
	}
	return s
}

// GoString is String (%#v).
func (u WebhookURL) GoString() string { return u.String() }

// Format is String under every verb.
func (u WebhookURL) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(u.String())) }

// LogValue is String in slog output.
func (u WebhookURL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalJSON is String as a JSON string.
func (u WebhookURL) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// MarshalText is String (YAML, text encoders).
func (u WebhookURL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }
