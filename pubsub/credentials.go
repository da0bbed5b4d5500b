package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Session is what every Pub/Sub call must carry. Its String form never shows
// the access token, so a Session can be logged or wrapped in errors safely.
type Session struct {
	AccessToken string
	InstanceURL string
	TenantID    string // the org ID, 15 or 18 characters
}

// String describes the session without its token.
func (s Session) String() string {
	return fmt.Sprintf("session{instance %s, org %s}", s.InstanceURL, s.TenantID)
}

// GoString keeps %#v from printing the token too.
func (s Session) GoString() string { return s.String() }

// Credentials supply the session for Pub/Sub calls. The salesforce package
// implements it over OAuth; StaticCredentials serves a fixed token.
type Credentials interface {
	// Current returns the session to use now.
	Current(ctx context.Context) (Session, error)
	// Refresh obtains a new session after the server rejected `rejected`.
	Refresh(ctx context.Context, rejected Session) (Session, error)
}

// ErrCannotRefresh is returned by credentials that have no way to obtain a
// new token (a fixed token that expired): the fix is a new token. Other
// credentials match it when no retry can give a session (the salesforce
// package: a refused grant or client, no stored login). A subscription
// stops with such an error; it retries any other Current or Refresh
// failure with its reconnect backoff.
var ErrCannotRefresh = errors.New("the access token was rejected and these credentials cannot refresh it; supply a new token")

// StaticCredentials is a fixed session, as the simulator prints it.
type StaticCredentials Session

// Current returns the fixed session.
func (c StaticCredentials) Current(context.Context) (Session, error) { return Session(c), nil }

// Refresh cannot obtain a new token.
func (c StaticCredentials) Refresh(context.Context, Session) (Session, error) {
	return Session{}, ErrCannotRefresh
}

// sharedCredentials makes one forced refresh serve every topic: when several
// streams see the same token rejected at once, only the first refreshes and
// the others get its result.
type sharedCredentials struct {
	inner Credentials

	mu      sync.Mutex
	current *Session
}

func (s *sharedCredentials) Current(ctx context.Context) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		return *s.current, nil
	}
	sess, err := s.inner.Current(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("get Salesforce session: %w", err)
	}
	s.current = &sess
	return sess, nil
}

func (s *sharedCredentials) Refresh(ctx context.Context, rejected Session) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.AccessToken != rejected.AccessToken {
		return *s.current, nil // another stream already refreshed
	}
	sess, err := s.inner.Refresh(ctx, rejected)
	if err != nil {
		return Session{}, fmt.Errorf("refresh Salesforce session: %w", err)
	}
	s.current = &sess
	return sess, nil
}

// perRPCSession attaches the current session's metadata to every call.
type perRPCSession struct {
	creds     *sharedCredentials
	plaintext bool
}

func (p perRPCSession) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	sess, err := p.creds.Current(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"accesstoken": sess.AccessToken,
		"instanceurl": sess.InstanceURL,
		"tenantid":    sess.TenantID,
	}, nil
}

// RequireTransportSecurity is true except on an explicitly plaintext
// (loopback) connection, so a token never crosses a network unencrypted.
func (p perRPCSession) RequireTransportSecurity() bool { return !p.plaintext }
