package serve

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/replay"
)

// Settings are the process-level settings of `sfcdc serve` (the serve
// configuration file besides its store section); the integrations come from
// the registry. Every zero value takes the default its comment names.
type Settings struct {
	// Instance names this instance among the deployment's; unique. Zero:
	// the host name and the process ID.
	Instance string `yaml:"instance"`
	// LeaseTTL is how long an instance counts as live after its last
	// heartbeat, and so how soon its units move when it dies. Zero: 15 s.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// PollInterval is how often the registry is checked for changes. Zero: 1 s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// DisableAfter is how long an integration may keep failing before it
	// is disabled (reason quota or sync_error). Zero: 1 h.
	DisableAfter time.Duration `yaml:"disable_after"`
	// Listen is where /metrics, /healthz and /readyz are served: host:port,
	// or off. Zero: 127.0.0.1:9464, and that address being busy (another
	// instance on this host) only costs this one its endpoints, with a
	// warning; a configured address being busy fails Serve.
	Listen string `yaml:"listen"`
	// PublicURL is this deployment's address as browsers reach it
	// (https://host): set, the listener also serves the onboarding pages
	// (each integration's authenticate link and the one callback, whose
	// URL PublicURL + /external/salesforce/oauth2/callback is registered
	// in the connected apps). Every instance must have the same.
	PublicURL string `yaml:"public_url"`
	// AdminToken guards the operator console (/, /integrations/…,
	// /api/v1/integrations) on the listener: a Bearer token, or the
	// password the browser asks for. Write it ${VAR}. Zero: the console is
	// served without a token on a loopback listener only, and not at all
	// on another.
	AdminToken redact.Secret `yaml:"admin_token"`
	// WebhookURL, when set, receives the state changes that need a person
	// (an integration into needs_reauth or disabled, and its recovery) as
	// JSON signed with WebhookSecret (X-Sfcdc-Signature: sha256=<HMAC>).
	// Write both ${VAR}: a webhook URL may carry its own credential.
	WebhookURL    notify.WebhookURL `yaml:"webhook_url"`
	WebhookSecret notify.Secret     `yaml:"webhook_secret"`
	// SecretKeyFile holds the keyring that seals the integrations' secrets
	// (or set SFCDC_SECRET_KEY): the same on every instance.
	SecretKeyFile string `yaml:"secret_key_file"`
	// MemoryLimitMB is the Go runtime's soft memory limit in MiB (see
	// MemoryLimit); 0: three quarters of the container's (or machine's)
	// memory. GOMEMLIMIT, when set, wins.
	MemoryLimitMB int `yaml:"memory_limit_mb"`
}

// Problems are the settings' problems, one a line, each naming its key.
func (s Settings) Problems() []string {
	var out []string
	if s.Instance != "" {
		if err := replay.CheckName(s.Instance); err != nil {
			out = append(out, fmt.Sprintf("instance: %v", err))
		}
	}
	for key, d := range map[string]time.Duration{"lease_ttl": s.LeaseTTL, "poll_interval": s.PollInterval, "disable_after": s.DisableAfter} {
		if d < 0 {
			out = append(out, fmt.Sprintf("%s: %s is negative; use 0 for the default", key, d))
		}
	}
	if s.MemoryLimitMB < 0 {
		out = append(out, fmt.Sprintf("memory_limit_mb: %d is negative; use 0 for three quarters of the container's memory", s.MemoryLimitMB))
	}
	if s.LeaseTTL > 0 && s.LeaseTTL < time.Second {
		out = append(out, fmt.Sprintf("lease_ttl: %s is under 1s: instances would drop out at every slow heartbeat; use 5s or more", s.LeaseTTL))
	}
	if s.PublicURL != "" {
		if u, err := url.Parse(s.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			out = append(out, fmt.Sprintf("public_url: %s is not an absolute http(s) URL without a path, e.g. https://sfcdc.example.com", quote.Value(s.PublicURL)))
		}
	}
	if err := (notify.Config{URL: s.WebhookURL, Secret: s.WebhookSecret}).Check(); err != nil {
		out = append(out, "webhook_url/webhook_secret: "+strings.TrimPrefix(err.Error(), "notify: "))
	}
	if err := (monitor.Settings{Listen: s.Listen}).Validate(); err != nil {
		out = append(out, err.Error())
	}
	if s.SecretKeyFile != "" {
		if _, err := os.Stat(s.SecretKeyFile); err != nil {
			out = append(out, fmt.Sprintf("secret_key_file: %s: %v; create it with `sfcdc integrations generate-key > FILE`", quote.Value(s.SecretKeyFile), err))
		}
	}
	return out
}

// InstanceName is Instance or its default.
func (s Settings) InstanceName() string {
	if s.Instance != "" {
		return s.Instance
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "sfcdc"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// ttl is LeaseTTL or its default.
func (s Settings) ttl() time.Duration {
	if s.LeaseTTL > 0 {
		return s.LeaseTTL
	}
	return membership.DefaultTTL
}
