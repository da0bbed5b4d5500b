package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxResponseBytes caps one REST answer: 2,000 records with the
// largest text fields Salesforce allows fit well inside it.
const DefaultMaxResponseBytes = 512 << 20

// Client calls the Salesforce REST API with sessions from creds (normally
// *Credentials, shared with the Pub/Sub client). A call rejected with
// INVALID_SESSION_ID is retried once with a refreshed session; no other
// failure is retried here, so the caller's backoff is the only one.
type Client struct {
	creds   SessionSource
	http    *http.Client
	version string
	log     *slog.Logger

	calls     atomic.Int64
	usageMu   sync.Mutex // guards usage and clock
	usage     APIUsage
	clock     serverClock
	maxAnswer int64
}

// NewClient prepares a REST client (cfg's APIVersion, CAFile,
// RequestTimeout and Logger apply; its auth settings are creds' business).
func NewClient(cfg Config, creds SessionSource) (*Client, error) {
	if creds == nil {
		return nil, errors.New("create Salesforce REST client: no credentials given")
	}
	cfg = cfg.withDefaults()
	if !apiVersionPattern.MatchString(cfg.APIVersion) {
		return nil, fmt.Errorf("%w: api_version %q: want a version like 62.0", ErrInvalidConfig, cfg.APIVersion)
	}
	hc, err := newHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{creds: creds, http: hc, version: "v" + cfg.APIVersion, log: cfg.Logger, maxAnswer: DefaultMaxResponseBytes}, nil
}

// Usage is the org's API consumption as last reported, and this client's call count.
func (c *Client) Usage() APIUsage {
	c.usageMu.Lock()
	defer c.usageMu.Unlock()
	u := c.usage
	u.Calls = c.calls.Load()
	return u
}

// APIVersion is the version segment of every call, e.g. "v62.0".
func (c *Client) APIVersion() string { return c.version }

// request is one REST call: a path under the instance URL, query
// parameters, an optional JSON body and extra headers.
type request struct {
	method string
	path   string // /services/data/v62.0/…
	query  url.Values
	body   []byte
	header http.Header
}

func (r request) String() string { return r.method + " " + r.path }

// do sends the request with the current session and, if Salesforce says
// the session is invalid, once more with a refreshed one. decode reads a
// 2xx body.
func (c *Client) do(ctx context.Context, req request, decode func(io.Reader) error) error {
	sess, err := c.creds.Current(ctx)
	if err != nil {
		return fmt.Errorf("call %s: %w", req, err)
	}
	err = c.send(ctx, sess, req, decode)
	if !errors.Is(err, ErrInvalidSession) {
		return err
	}
	fresh, rerr := c.creds.Refresh(ctx, sess)
	if rerr != nil {
		return fmt.Errorf("%w (refreshing the session failed: %w)", err, rerr)
	}
	c.log.Debug("retrying a REST call with a refreshed session", "call", req.String())
	return c.send(ctx, fresh, req, decode)
}

// send performs one HTTP exchange and counts it.
func (c *Client) send(ctx context.Context, sess Session, req request, decode func(io.Reader) error) error {
	if err := checkResourcePath(req.path); err != nil {
		return fmt.Errorf("call %s: %w", req, err)
	}
	target := strings.TrimRight(sess.InstanceURL, "/") + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, bytes.NewReader(req.body))
	if err != nil {
		return fmt.Errorf("call %s: %w", req, err)
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	hr.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	hr.Header.Set("Accept", "application/json")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	c.calls.Add(1)
	resp, err := c.http.Do(hr)
	if err != nil {
		return fmt.Errorf("call %s: %w", req, err)
	}
	defer resp.Body.Close()
	c.noteLimitInfo(resp.Header.Get("Sforce-Limit-Info"))
	c.noteServerDate(resp.Header.Get("Date"), time.Now())
	c.log.Debug("REST call", "call", req.String(), "status", resp.StatusCode)
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return fmt.Errorf("call %s: %w", req, decodeAPIError(resp.StatusCode, body))
	}
	if err := decode(io.LimitReader(resp.Body, c.maxAnswer)); err != nil {
		return fmt.Errorf("call %s: %w", req, err)
	}
	return nil
}

// noteLimitInfo records the org's API usage from Sforce-Limit-Info.
func (c *Client) noteLimitInfo(header string) {
	if header == "" {
		return
	}
	used, limit, err := ParseLimitInfo(header)
	if err != nil {
		c.log.Debug("ignored a malformed Sforce-Limit-Info header", "error", err)
		return
	}
	c.usageMu.Lock()
	c.usage.Used, c.usage.Limit, c.usage.Known = used, limit, true
	c.usage.Reports++
	c.usageMu.Unlock()
}

// dataPath is a REST resource path under the configured version.
func (c *Client) dataPath(rest string) string { return "/services/data/" + c.version + "/" + rest }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// String describes the client without any secret.
func (c *Client) String() string { return "salesforce.Client{" + c.version + "}" }

// GoString keeps %#v from printing internals.
func (c *Client) GoString() string { return c.String() }
