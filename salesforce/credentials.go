package salesforce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/retry"
)

// Credentials is the one source of Salesforce sessions for a process: the
// REST client and the Pub/Sub client (it implements SessionSource)
// share it, so a rejected token is replaced once for everybody.
//
// It assumes no expiry time — Salesforce sends no expires_in — and gets a
// new session only when a caller reports the current one rejected
// (Refresh). Refreshes are single-flight: callers that report the same
// rejected token while a refresh runs wait for its result; callers that
// report an already replaced token get the replacement at once. After a
// failed token request the next one waits out the retry policy's backoff
// (RefreshBackoffInitial doubling to RefreshBackoffMax, with jitter);
// callers in that window get ErrRefreshBackoff wrapping the failure. This
// is a gate, not a loop: the callers (the REST client's caller, the
// subscriber) own their retries.
type Credentials struct {
	cfg    Config
	grant  grant
	http   *http.Client
	policy hostPolicy
	log    *slog.Logger

	mu      sync.Mutex
	current *session
	flight  *refreshFlight
	backoff *retry.Backoff // the waits after consecutive failed token requests
	retryAt time.Time
	lastErr error

	tokenRequests atomic.Int64 // see TokenRequests (client_stats.go)
}

// session is one access token and the identity it was issued for.
type session struct {
	token       Secret
	instanceURL string
	orgID       string
	userID      string
	issuedAt    time.Time
}

func (s *session) public() Session {
	return Session{AccessToken: s.token.Reveal(), InstanceURL: s.instanceURL, TenantID: s.orgID}
}

// refreshFlight is one token request that concurrent callers share.
type refreshFlight struct {
	done chan struct{}
	sess *session
	err  error
}

// NewCredentials prepares the configured flow; the web-server flow reads
// its refresh token from store (other flows ignore store, which may be
// nil). No request is made until the first Current.
func NewCredentials(cfg Config, store TokenStore) (*Credentials, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	hc, err := newHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	g, err := newGrant(cfg, store)
	if err != nil {
		return nil, err
	}
	refreshes := retry.Policy{Initial: cfg.RefreshBackoffInitial, Max: cfg.RefreshBackoffMax, Now: cfg.Clock.Now}
	return &Credentials{cfg: cfg, grant: g, http: hc, policy: newHostPolicy(cfg.LoginURL, cfg.TrustedHosts), log: cfg.Logger,
		backoff: refreshes.Backoff()}, nil
}

func newGrant(cfg Config, store TokenStore) (grant, error) {
	switch cfg.Flow {
	case FlowWebServer:
		if store == nil {
			return nil, fmt.Errorf("%w: the web_server flow needs a token store", ErrInvalidConfig)
		}
		return &refreshTokenGrant{oauth: webServerOAuth2(cfg), store: store}, nil
	case FlowJWTBearer:
		return newJWTBearerGrant(cfg)
	case FlowClientCredentials:
		return newClientCredentialsGrant(cfg), nil
	}
	return nil, fmt.Errorf("%w: unknown flow %q", ErrInvalidConfig, cfg.Flow)
}

// Flow is the configured OAuth flow.
func (c *Credentials) Flow() Flow { return c.cfg.Flow }

// Current returns the session in use, obtaining the first one if needed.
func (c *Credentials) Current(ctx context.Context) (Session, error) {
	return c.sessionNewerThan(ctx, "")
}

// Refresh returns a session other than rejected: the one another caller
// already obtained, or a new one from the token endpoint.
func (c *Credentials) Refresh(ctx context.Context, rejected Session) (Session, error) {
	if rejected.AccessToken == "" {
		return c.Current(ctx)
	}
	return c.sessionNewerThan(ctx, rejected.AccessToken)
}

// sessionNewerThan returns the current session unless it is the rejected
// one (or there is none); then it joins or starts the refresh.
func (c *Credentials) sessionNewerThan(ctx context.Context, rejected string) (Session, error) {
	for {
		c.mu.Lock()
		if c.current != nil && c.current.token.Reveal() != rejected {
			s := c.current.public()
			c.mu.Unlock()
			return s, nil
		}
		f, leader, err := c.joinFlightLocked()
		c.mu.Unlock()
		if err != nil {
			return Session{}, markRefused(err)
		}
		if leader {
			c.runFlight(ctx, f)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return Session{}, ctx.Err()
		}
		if f.err == nil {
			return f.sess.public(), nil
		}
		if !isContextError(f.err) || ctx.Err() != nil {
			return Session{}, markRefused(f.err)
		}
		// The leader gave up (its context ended); try again as leader.
	}
}

// joinFlightLocked returns the running refresh, or starts one unless the
// backoff after a failure forbids it.
func (c *Credentials) joinFlightLocked() (f *refreshFlight, leader bool, err error) {
	if c.flight != nil {
		return c.flight, false, nil
	}
	if wait := c.retryAt.Sub(c.cfg.Clock.Now()); wait > 0 && c.lastErr != nil {
		return nil, false, fmt.Errorf("%w (next attempt in %s): %w", ErrRefreshBackoff, wait.Round(time.Millisecond), c.lastErr)
	}
	c.flight = &refreshFlight{done: make(chan struct{})}
	return c.flight, true, nil
}

// runFlight performs the token request and publishes its result.
func (c *Credentials) runFlight(ctx context.Context, f *refreshFlight) {
	sess, err := c.obtain(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	f.sess, f.err = sess, err
	c.flight = nil
	close(f.done)
	switch {
	case err == nil:
		c.current, c.lastErr = sess, nil
		c.backoff.Reset()
		c.log.Info("Salesforce session obtained", "flow", c.cfg.Flow, "org", sess.orgID, "instance", sess.instanceURL)
	case isContextError(err):
	default:
		c.lastErr = err
		wait, _ := c.backoff.Next() // no attempt or time bound: the next caller asks again
		c.retryAt = c.cfg.Clock.Now().Add(wait)
		c.log.Warn("Salesforce session request failed", "flow", c.cfg.Flow, "error", err, "retry_after", wait)
	}
}

// refusedSession is a session request no retry can satisfy (Classify:
// Fatal — a refused grant or client, no stored login, an untrusted
// host). It reads as the failure itself and also matches
// ErrCannotRefresh, so the subscriber stops with it instead of
// reconnecting for ever; the session's callers in this package see the
// same classes as before.
type refusedSession struct{ err error }

func (e *refusedSession) Error() string   { return e.err.Error() }
func (e *refusedSession) Unwrap() []error { return []error{e.err, ErrCannotRefresh} }

// markRefused marks err as a refused session when Classify calls it fatal
// (the caller's cancellation aside).
func markRefused(err error) error {
	if isContextError(err) || Classify(err) != Fatal || errors.Is(err, ErrCannotRefresh) {
		return err
	}
	return &refusedSession{err: err}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// obtain asks the token endpoint for a session and checks where it points.
func (c *Credentials) obtain(ctx context.Context) (*session, error) {
	c.tokenRequests.Add(1)
	resp, err := c.grant.token(ctx, c.http)
	if err != nil {
		return nil, err
	}
	instance, err := c.policy.checkInstanceURL(resp.InstanceURL)
	if err != nil {
		return nil, fmt.Errorf("obtain a Salesforce session: %w", err)
	}
	s := &session{token: resp.AccessToken, instanceURL: instance, issuedAt: resp.IssuedAt}
	if s.orgID, s.userID, err = parseIdentityURL(resp.IDURL); err != nil {
		info, uerr := c.userinfo(ctx, s)
		if uerr != nil {
			return nil, fmt.Errorf("obtain a Salesforce session: find the org ID: %w", uerr)
		}
		s.orgID, s.userID = info.OrganizationID, info.UserID
	}
	return s, nil
}

// Close releases idle connections.
func (c *Credentials) Close() { c.http.CloseIdleConnections() }

// String describes the credentials without any secret.
func (c *Credentials) String() string {
	return fmt.Sprintf("salesforce.Credentials{flow %s, login %s}", c.cfg.Flow, c.cfg.LoginURL)
}

// GoString keeps %#v from printing internals.
func (c *Credentials) GoString() string { return c.String() }
