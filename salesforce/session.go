package salesforce

import (
	"context"
	"errors"
	"fmt"
)

// Session is what every Salesforce call must carry: the REST client and the
// Pub/Sub client both send it. Its String form never shows the access token,
// so a Session can be logged or wrapped in errors safely.
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

// SessionSource supplies the session for Salesforce calls. Credentials
// implements it over OAuth; StaticSession serves a fixed token.
type SessionSource interface {
	// Current returns the session to use now.
	Current(ctx context.Context) (Session, error)
	// Refresh obtains a new session after the server rejected `rejected`.
	Refresh(ctx context.Context, rejected Session) (Session, error)
}

// ErrCannotRefresh is returned by session sources that have no way to
// obtain a new token (a fixed token that expired): the fix is a new token.
// Credentials match it when no retry can give a session (a refused grant
// or client, no stored login). A Pub/Sub subscription stops with such an
// error; it retries any other Current or Refresh failure with its
// reconnect backoff.
var ErrCannotRefresh = errors.New("the access token was rejected and these credentials cannot refresh it; supply a new token")

// StaticSession is a fixed session, as the simulator prints it.
type StaticSession Session

// Current returns the fixed session.
func (c StaticSession) Current(context.Context) (Session, error) { return Session(c), nil }

// Refresh cannot obtain a new token.
func (c StaticSession) Refresh(context.Context, Session) (Session, error) {
	return Session{}, ErrCannotRefresh
}
