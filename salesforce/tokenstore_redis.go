package salesforce

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisTokenKey is where RedisTokenStore keeps the token, inside the
// cdc: key space an sfcdc Redis user is limited to.
const DefaultRedisTokenKey = "cdc:auth:salesforce"

// RedisTokenStore keeps the token under one Redis key, for deployments
// where several instances share a login. Any go-redis UniversalClient
// works (single node, Sentinel, Cluster).
type RedisTokenStore struct {
	Client redis.UniversalClient
	Key    string // DefaultRedisTokenKey when empty
}

func (s RedisTokenStore) key() string {
	if s.Key == "" {
		return DefaultRedisTokenKey
	}
	return s.Key
}

func (s RedisTokenStore) String() string { return "redis key " + s.key() }

// Load reads the key.
func (s RedisTokenStore) Load(ctx context.Context) (StoredToken, error) {
	raw, err := s.Client.Get(ctx, s.key()).Bytes()
	if errors.Is(err, redis.Nil) {
		return StoredToken{}, ErrNoStoredToken
	}
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token from redis key %s: %w", s.key(), err)
	}
	t, err := decodeStoredToken(raw)
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token from redis key %s: %w; run `sfcdc auth login` to replace it", s.key(), err)
	}
	return t, nil
}

// Save writes the key (no expiry: a refresh token lasts until revoked).
func (s RedisTokenStore) Save(ctx context.Context, t StoredToken) error {
	raw, err := encodeStoredToken(t)
	if err != nil {
		return fmt.Errorf("write token to redis key %s: %w", s.key(), err)
	}
	if err := s.Client.Set(ctx, s.key(), raw, 0).Err(); err != nil {
		return fmt.Errorf("write token to redis key %s: %w", s.key(), err)
	}
	return nil
}
