package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// OAuth state records: sfcdc:{deployment}:oauth-state:<id>, a string with
// a TTL, taken with GETDEL.
func (k redisKeys) oauthState(id string) string { return k.deployment() + "oauth-state:" + id }

// PutOAuthState implements OAuthStateStore.
func (s *RedisStore) PutOAuthState(ctx context.Context, id string, doc []byte, ttl time.Duration) error {
	if err := checkOAuthState(id, doc, ttl); err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.Set(ctx, s.keys.oauthState(id), doc, ttl).Err(); err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState implements OAuthStateStore.
func (s *RedisStore) TakeOAuthState(ctx context.Context, id string) ([]byte, error) {
	if err := checkName("oauth state", id); err != nil {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc, err := s.client.GetDel(ctx, s.keys.oauthState(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("take oauth state: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	return doc, nil
}
