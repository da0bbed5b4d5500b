package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Grants live apart from the registry, under the same hash tag:
//
//	sfcdc:{deployment}:grants:docs      hash  name → sealed document
//	sfcdc:{deployment}:grants:versions  hash  name → version
//	sfcdc:{deployment}:grants:updated   hash  name → RFC 3339 write time
func (k redisKeys) grantKeys() []string {
	d := k.deployment()
	return []string{d + "grants:docs", d + "grants:versions", d + "grants:updated"}
}

// putGrantScript: KEYS docs, versions, updated; ARGV name, doc, expect,
// now. Returns {1, new version} or {0, stored version}.
var putGrantScript = redis.NewScript(`
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if stored ~= tonumber(ARGV[3]) then return {0, stored} end
local v = stored + 1
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], v)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
return {1, v}`)

// PutGrant implements GrantStore.
func (s *RedisStore) PutGrant(ctx context.Context, name string, doc []byte, expect int64) (int64, error) {
	if err := checkGrant(name, doc); err != nil {
		return 0, fmt.Errorf("put grant: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := putGrantScript.Run(ctx, s.client, s.keys.grantKeys(), name, doc, expect, formatTime(now())).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("put grant %s: %w", name, err)
	}
	if len(reply) != 2 {
		return 0, fmt.Errorf("put grant %s: %w", name, corruptf("script reply of %d elements", len(reply)))
	}
	if reply[0] != 1 {
		return 0, fmt.Errorf("put grant: %w", &VersionConflictError{Name: name, Expected: expect, Stored: reply[1]})
	}
	return reply[1], nil
}

// Grant implements GrantStore.
func (s *RedisStore) Grant(ctx context.Context, name string) (GrantDoc, error) {
	if err := checkName("grant", name); err != nil {
		return GrantDoc{}, fmt.Errorf("read grant: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := s.keys.grantKeys()
	var doc, version, updated *redis.StringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		doc = p.HGet(ctx, keys[0], name)
		version = p.HGet(ctx, keys[1], name)
		updated = p.HGet(ctx, keys[2], name)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return GrantDoc{}, fmt.Errorf("read grant %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return GrantDoc{}, fmt.Errorf("read grant %s: %w", name, err)
	}
	d, err := integrationDoc(name, doc.Val(), version.Val(), updated.Val())
	if err != nil {
		return GrantDoc{}, fmt.Errorf("read grant %s: %w", name, err)
	}
	return d, nil
}

// DeleteGrant implements GrantStore.
func (s *RedisStore) DeleteGrant(ctx context.Context, name string) error {
	if err := checkName("grant", name); err != nil {
		return fmt.Errorf("delete grant: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := s.keys.grantKeys()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.HDel(ctx, k, name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete grant %s: %w", name, err)
	}
	return nil
}
