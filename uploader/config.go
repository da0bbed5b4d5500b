package uploader

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// Config is the CM connection and batching configuration. Zero values take
// the documented defaults.
type Config struct {
	// BaseURL is the CM API root: https://<tenant>.reinfer.io or
	// https://cloud.uipath.com/<org>/<tenant>/reinfer_. Required. http is
	// accepted only for loopback hosts (the simulator). A server there
	// that answers 2xx but not with CM's JSON stops the uploader with
	// ErrNotCMAPI.
	BaseURL string `yaml:"base_url"`
	// Token is the API token, sent as "Authorization: Bearer <token>".
	// Required.
	Token Secret `yaml:"token"`
	// Project and Source name the CM source the comments go to. Required.
	Project string `yaml:"project"`
	Source  string `yaml:"source"`
	// MaxBatchComments caps comments per sync request. Zero: 1,024 (the
	// limit of CM's older documentation; the current one is 16,384, the
	// most accepted here).
	MaxBatchComments int `yaml:"max_batch_comments"`
	// MaxBatchBytes caps a sync request body. Zero: 8 MiB. A single larger
	// comment is still sent, alone.
	MaxBatchBytes int `yaml:"max_batch_bytes"`
	// MaxDeleteIDs caps comment IDs per delete request. Zero: 100.
	MaxDeleteIDs int `yaml:"max_delete_ids"`
	// MaxConcurrentRequests caps requests in flight. Zero: 2.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests"`
	// Linger is how long a batch that is not full waits for more comments.
	// Zero: 20 ms. Negative: send as soon as a request slot is free.
	Linger time.Duration `yaml:"linger"`
	// DeleteLinger is Linger for delete batches. Zero: the same as Linger.
	// Deletes are rare (a few in a hundred changes), so a delete batch
	// seldom fills; a shorter wait keeps one delete from holding the
	// checkpoint back for a whole sync linger.
	DeleteLinger time.Duration `yaml:"delete_linger"`
	// RequestTimeout bounds one request. Zero: 2 min (large syncs are slow;
	// CM's own client allows 240 s). A sync of several comments that
	// outlasts it halves the comments per sync rather than being retried
	// whole (see the package documentation).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// SlowRequestAfter is how long a request may wait for its answer
	// before a warning says so (once per request: its kind, comment count
	// and the time waited), so that a hanging CM shows well before
	// RequestTimeout ends the request. Zero: 30 s (a large sync takes some
	// seconds; 30 s is past any normal answer). At or above RequestTimeout
	// it never fires.
	SlowRequestAfter time.Duration `yaml:"slow_request_after"`
	// InitialBackoff is the first retry wait and the shortest of all, even
	// when Retry-After asks for less. Zero: 1 s. Without Retry-After, the
	// n-th wait is drawn between InitialBackoff×2^(n-1) and half as much
	// again: jitter only lengthens a wait.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff is the longest wait without Retry-After (near it, the
	// waits are drawn from its last third). Zero: 1 min.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxRetryAfter caps how long a Retry-After header can make us wait.
	// Zero: 10 min.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// after its context is cancelled. Zero: 30 s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// baseURLForms are the two documented forms of the CM API root.
const baseURLForms = "https://<tenant>.reinfer.io or https://cloud.uipath.com/<org>/<tenant>/reinfer_"

// Secret is a credential. Formatting, logging and encoding it yields
// "[REDACTED]"; only the HTTP layer reads the value.
type Secret string

const redacted = "[REDACTED]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

var (
	projectPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) // and at most 1,024 bytes
	sourcePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate reports every configuration error at once, naming the key and
// the fix.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := validateBaseURL(c.BaseURL); err != nil {
		bad("base_url: %v", err)
	}
	if c.Token == "" {
		bad("token: required; create an API token in CM (Manage Account) and set it")
	} else if strings.ContainsAny(string(c.Token), " \t\r\n") {
		bad("token: contains whitespace; paste the token alone, without \"Bearer\"")
	}
	// The length first: the pattern would scan a huge value whole.
	if len(c.Project) > 1024 || !projectPattern.MatchString(c.Project) {
		bad("project: %s is not a CM project name; use 1-1024 of A-Z a-z 0-9 _ . -", quote.Value(c.Project))
	}
	if len(c.Source) > 256 || !sourcePattern.MatchString(c.Source) {
		bad("source: %s is not a CM source name; use 1-256 of A-Z a-z 0-9 _ -", quote.Value(c.Source))
	}
	if c.MaxBatchComments < 0 || c.MaxBatchComments > 16384 {
		bad("max_batch_comments: %d is outside 1-16384; use 0 for the default 1024", c.MaxBatchComments)
	}
	for key, v := range map[string]int{"max_batch_bytes": c.MaxBatchBytes, "max_delete_ids": c.MaxDeleteIDs,
		"max_concurrent_requests": c.MaxConcurrentRequests} {
		if v < 0 {
			bad("%s: %d is negative; use 0 for the default", key, v)
		}
	}
	for key, d := range map[string]time.Duration{"request_timeout": c.RequestTimeout, "slow_request_after": c.SlowRequestAfter,
		"initial_backoff": c.InitialBackoff, "max_backoff": c.MaxBackoff, "max_retry_after": c.MaxRetryAfter,
		"shutdown_timeout": c.ShutdownTimeout} {
		if d < 0 {
			bad("%s: %v is negative; use 0 for the default", key, d)
		}
	}
	if c.MaxBackoff > 0 && c.InitialBackoff > c.MaxBackoff {
		bad("max_backoff: %v is below initial_backoff %v; raise it", c.MaxBackoff, c.InitialBackoff)
	}
	return errors.Join(errs...)
}

func validateBaseURL(raw string) error {
	if raw == "" {
		return errors.New("required; e.g. " + baseURLForms)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s is not an absolute URL; e.g. https://<tenant>.reinfer.io", quote.URL(raw))
	}
	switch {
	case u.User != nil:
		return errors.New("must not hold credentials; put the token in token")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not have a query or fragment; give the API root only")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("scheme %s is not allowed; use https (http only for a loopback simulator)", quote.Value(u.Scheme))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withDefaults returns c with zero values replaced by defaults.
func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.MaxBatchComments, 1024)
	setInt(&c.MaxBatchBytes, 8<<20)
	setInt(&c.MaxDeleteIDs, 100)
	setInt(&c.MaxConcurrentRequests, 2)
	setDur(&c.Linger, 20*time.Millisecond)
	setDur(&c.DeleteLinger, c.Linger)
	setDur(&c.RequestTimeout, 2*time.Minute)
	setDur(&c.SlowRequestAfter, 30*time.Second)
	setDur(&c.InitialBackoff, time.Second)
	setDur(&c.MaxBackoff, time.Minute)
	setDur(&c.MaxRetryAfter, 10*time.Minute)
	setDur(&c.ShutdownTimeout, 30*time.Second)
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	return c
}
