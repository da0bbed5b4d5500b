package pubsub

import (
	"context"
	"fmt"
	"sync"

	"github.com/sfcdc/sfcdc/salesforce"
)

// sharedCredentials makes one forced refresh serve every topic: when several
// streams see the same token rejected at once, only the first refreshes and
// the others get its result.
type sharedCredentials struct {
	inner salesforce.SessionSource

	mu      sync.Mutex
	current *salesforce.Session
}

func (s *sharedCredentials) Current(ctx context.Context) (salesforce.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		return *s.current, nil
	}
	sess, err := s.inner.Current(ctx)
	if err != nil {
		return salesforce.Session{}, fmt.Errorf("get Salesforce session: %w", err)
	}
	s.current = &sess
	return sess, nil
}

func (s *sharedCredentials) Refresh(ctx context.Context, rejected salesforce.Session) (salesforce.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.AccessToken != rejected.AccessToken {
		return *s.current, nil // another stream already refreshed
	}
	sess, err := s.inner.Refresh(ctx, rejected)
	if err != nil {
		return salesforce.Session{}, fmt.Errorf("refresh Salesforce session: %w", err)
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
