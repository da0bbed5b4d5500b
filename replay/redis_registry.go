package replay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Registry and membership keys share the hash tag {deployment}, so Cluster
// keeps them in one slot for the scripts below:
//
//	sfcdc:{deployment}:registry:version   string  registry version counter (INCR), never expires
//	sfcdc:{deployment}:registry:docs      hash    name → document
//	sfcdc:{deployment}:registry:versions  hash    name → version
//	sfcdc:{deployment}:registry:updated   hash    name → RFC 3339 write time
//	sfcdc:{deployment}:members            zset    instance → expiry (Redis TIME, ms)
//	sfcdc:{deployment}:members:joined     hash    instance → join time (ms)
//
// An org ID cannot be "deployment" in braces' place with a colliding key:
// org keys name checkpoints, leases and the like, never "registry:" or
// "members".
func (k redisKeys) deployment() string       { return k.prefix + "{deployment}:" }
func (k redisKeys) registryVersion() string  { return k.deployment() + "registry:version" }
func (k redisKeys) registryDocs() string     { return k.deployment() + "registry:docs" }
func (k redisKeys) registryVersions() string { return k.deployment() + "registry:versions" }
func (k redisKeys) registryUpdated() string  { return k.deployment() + "registry:updated" }
func (k redisKeys) members() string          { return k.deployment() + "members" }
func (k redisKeys) membersJoined() string    { return k.deployment() + "members:joined" }
func (k redisKeys) registryKeys() []string {
	return []string{k.registryVersion(), k.registryDocs(), k.registryVersions(), k.registryUpdated()}
}

// putIntegrationScript: KEYS version, docs, versions, updated; ARGV name,
// doc, expect, now. Returns {1, new version} or {0, stored version}.
var putIntegrationScript = redis.NewScript(`
local stored = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if stored ~= tonumber(ARGV[3]) then return {0, stored} end
local v = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], v)
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
return {1, v}`)

// deleteIntegrationScript: KEYS as above; ARGV name, expect. Returns
// {1, new registry version}, {0, stored version} or {-1, 0} when missing.
var deleteIntegrationScript = redis.NewScript(`
local stored = redis.call('HGET', KEYS[3], ARGV[1])
if not stored then return {-1, 0} end
if tonumber(stored) ~= tonumber(ARGV[2]) then return {0, tonumber(stored)} end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return {1, redis.call('INCR', KEYS[1])}`)

// PutIntegration implements RegistryStore.
func (s *RedisStore) PutIntegration(ctx context.Context, name string, doc []byte, expect int64) (int64, error) {
	if err := checkName("integration", name); err != nil {
		return 0, fmt.Errorf("put integration: %w", err)
	}
	if err := checkDoc(doc); err != nil {
		return 0, fmt.Errorf("put integration %s: %w", name, err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := putIntegrationScript.Run(ctx, s.client, s.keys.registryKeys(), name, doc, expect, formatTime(now())).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("put integration %s: %w", name, err)
	}
	if len(reply) != 2 {
		return 0, fmt.Errorf("put integration %s: %w", name, corruptf("script reply of %d elements", len(reply)))
	}
	if reply[0] != 1 {
		return 0, fmt.Errorf("put integration: %w", &VersionConflictError{Name: name, Expected: expect, Stored: reply[1]})
	}
	return reply[1], nil
}

// Integration implements RegistryStore.
func (s *RedisStore) Integration(ctx context.Context, name string) (IntegrationDoc, error) {
	if err := checkName("integration", name); err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var doc, version, updated *redis.StringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		doc = p.HGet(ctx, s.keys.registryDocs(), name)
		version = p.HGet(ctx, s.keys.registryVersions(), name)
		updated = p.HGet(ctx, s.keys.registryUpdated(), name)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return IntegrationDoc{}, fmt.Errorf("read integration %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration %s: %w", name, err)
	}
	d, err := integrationDoc(name, doc.Val(), version.Val(), updated.Val())
	if err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration %s: %w", name, err)
	}
	return d, nil
}

// Integrations implements RegistryStore.
func (s *RedisStore) Integrations(ctx context.Context) ([]IntegrationDoc, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var docs, versions, updated *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		docs = p.HGetAll(ctx, s.keys.registryDocs())
		versions = p.HGetAll(ctx, s.keys.registryVersions())
		updated = p.HGetAll(ctx, s.keys.registryUpdated())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	out := make([]IntegrationDoc, 0, len(docs.Val()))
	for name, doc := range docs.Val() {
		d, err := integrationDoc(name, doc, versions.Val()[name], updated.Val()[name])
		if err != nil {
			return nil, fmt.Errorf("list integrations: %s: %w", name, err)
		}
		out = append(out, d)
	}
	sortDocs(out)
	return out, nil
}

// DeleteIntegration implements RegistryStore.
func (s *RedisStore) DeleteIntegration(ctx context.Context, name string, expect int64) error {
	if err := checkName("integration", name); err != nil {
		return fmt.Errorf("delete integration: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := deleteIntegrationScript.Run(ctx, s.client, s.keys.registryKeys(), name, expect).Int64Slice()
	if err != nil {
		return fmt.Errorf("delete integration %s: %w", name, err)
	}
	if len(reply) != 2 {
		return fmt.Errorf("delete integration %s: %w", name, corruptf("script reply of %d elements", len(reply)))
	}
	switch reply[0] {
	case -1:
		return fmt.Errorf("delete integration %s: %w", name, ErrNotFound)
	case 0:
		return fmt.Errorf("delete integration: %w", &VersionConflictError{Name: name, Expected: expect, Stored: reply[1]})
	}
	return nil
}

// RegistryVersion implements RegistryStore.
func (s *RedisStore) RegistryVersion(ctx context.Context) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	v, err := s.client.Get(ctx, s.keys.registryVersion()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read registry version: %w", err)
	}
	return v, nil
}

// integrationDoc decodes one document's stored fields.
func integrationDoc(name, doc, version, updated string) (IntegrationDoc, error) {
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil || v <= 0 {
		return IntegrationDoc{}, corruptf("version %q", version)
	}
	t, err := time.Parse(time.RFC3339Nano, updated)
	if err != nil {
		return IntegrationDoc{}, corruptf("updated %q", updated)
	}
	return IntegrationDoc{Name: name, Version: v, Doc: []byte(doc), Updated: t}, nil
}

// heartbeatScript: KEYS members, joined; ARGV instance, ttl ms. Uses the
// server's clock, so instances with skewed clocks agree on who is live.
// Returns {joined ms, expires ms}.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowms)
local live = redis.call('ZSCORE', KEYS[1], ARGV[1])
local joined = redis.call('HGET', KEYS[2], ARGV[1])
if (not live) or (not joined) then
  joined = nowms
  redis.call('HSET', KEYS[2], ARGV[1], joined)
end
local expires = nowms + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
return {tonumber(joined), expires}`)

// membersScript: KEYS members, joined. Returns {name, joined, expires, ...}
// of the live members, forgetting the expired ones.
var membersScript = redis.NewScript(`
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowms)
for _, name in ipairs(gone) do redis.call('HDEL', KEYS[2], name) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowms)
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  out[#out+1] = live[i]
  out[#out+1] = tonumber(redis.call('HGET', KEYS[2], live[i]) or nowms)
  out[#out+1] = tonumber(live[i+1])
end
return out`)

// Heartbeat implements MemberStore.
func (s *RedisStore) Heartbeat(ctx context.Context, instance string, ttl time.Duration) (Member, error) {
	if err := checkName("instance", instance); err != nil {
		return Member{}, fmt.Errorf("heartbeat: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return Member{}, fmt.Errorf("heartbeat %s: %w", instance, err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := heartbeatScript.Run(ctx, s.client, []string{s.keys.members(), s.keys.membersJoined()}, instance, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return Member{}, fmt.Errorf("heartbeat %s: %w", instance, err)
	}
	if len(reply) != 2 {
		return Member{}, fmt.Errorf("heartbeat %s: %w", instance, corruptf("script reply of %d elements", len(reply)))
	}
	return Member{Name: instance, Joined: time.UnixMilli(reply[0]).UTC(), Expires: time.UnixMilli(reply[1]).UTC()}, nil
}

// Members implements MemberStore.
func (s *RedisStore) Members(ctx context.Context) ([]Member, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := membersScript.Run(ctx, s.client, []string{s.keys.members(), s.keys.membersJoined()}).Slice()
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	if len(reply)%3 != 0 {
		return nil, fmt.Errorf("list members: %w", corruptf("script reply of %d elements", len(reply)))
	}
	out := make([]Member, 0, len(reply)/3)
	for i := 0; i < len(reply); i += 3 {
		name, _ := reply[i].(string)
		joined, _ := reply[i+1].(int64)
		expires, _ := reply[i+2].(int64)
		out = append(out, Member{Name: name, Joined: time.UnixMilli(joined).UTC(), Expires: time.UnixMilli(expires).UTC()})
	}
	sortMembers(out)
	return out, nil
}

// Leave implements MemberStore.
func (s *RedisStore) Leave(ctx context.Context, instance string) error {
	if err := checkName("instance", instance); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.keys.members(), instance)
		p.HDel(ctx, s.keys.membersJoined(), instance)
		return nil
	})
	if err != nil {
		return fmt.Errorf("leave %s: %w", instance, err)
	}
	return nil
}

// Reports: sfcdc:{deployment}:reports (hash key → doc) and
// sfcdc:{deployment}:reports:expiry (zset key → expiry ms, Redis TIME).
func (k redisKeys) reports() string       { return k.deployment() + "reports" }
func (k redisKeys) reportsExpiry() string { return k.deployment() + "reports:expiry" }

// saveReportScript: KEYS reports, expiry; ARGV key, doc, ttl ms.
var saveReportScript = redis.NewScript(`
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], nowms + tonumber(ARGV[3]), ARGV[1])
return 1`)

// reportsScript: KEYS reports, expiry. Forgets expired reports and returns
// {key, doc, ...} of the live ones.
var reportsScript = redis.NewScript(`
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowms)
for _, k in ipairs(gone) do redis.call('HDEL', KEYS[1], k) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowms)
return redis.call('HGETALL', KEYS[1])`)

// SaveReport implements ReportStore.
func (s *RedisStore) SaveReport(ctx context.Context, key string, doc []byte, ttl time.Duration) error {
	if err := checkName("report", key); err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("save report %s: %w", key, err)
	}
	if len(doc) > maxRegistryDoc {
		return fmt.Errorf("save report %s: %w", key, invalidf("report of %d bytes; want at most %d", len(doc), maxRegistryDoc))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := saveReportScript.Run(ctx, s.client, []string{s.keys.reports(), s.keys.reportsExpiry()}, key, doc, ttl.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("save report %s: %w", key, err)
	}
	return nil
}

// SaveReports implements ReportStore: one pipeline of the save script.
func (s *RedisStore) SaveReports(ctx context.Context, docs map[string][]byte, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("save reports: %w", err)
	}
	keys, refused := checkReports(docs)
	if len(keys) == 0 {
		return refused
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	send := func() ([]*redis.Cmd, error) {
		pipe := s.client.Pipeline()
		cmds := make([]*redis.Cmd, len(keys))
		for i, key := range keys {
			cmds[i] = saveReportScript.EvalSha(ctx, pipe, []string{s.keys.reports(), s.keys.reportsExpiry()}, key, docs[key], ttl.Milliseconds())
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := send()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := saveReportScript.Load(ctx, s.client).Err(); err != nil {
			return fmt.Errorf("save reports: %w", err)
		}
		cmds, _ = send()
	}
	errs := []error{refused}
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			errs = append(errs, fmt.Errorf("save report %s: %w", keys[i], err))
		}
	}
	return errors.Join(errs...)
}

// Reports implements ReportStore.
func (s *RedisStore) Reports(ctx context.Context) (map[string][]byte, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	reply, err := reportsScript.Run(ctx, s.client, []string{s.keys.reports(), s.keys.reportsExpiry()}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read reports: %w", err)
	}
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("read reports: %w", corruptf("script reply of %d elements", len(reply)))
	}
	out := make(map[string][]byte, len(reply)/2)
	for i := 0; i < len(reply); i += 2 {
		out[reply[i]] = []byte(reply[i+1])
	}
	return out, nil
}

// DeleteReport implements ReportStore.
func (s *RedisStore) DeleteReport(ctx context.Context, key string) error {
	if err := checkName("report", key); err != nil {
		return fmt.Errorf("delete report: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.keys.reports(), key)
		p.ZRem(ctx, s.keys.reportsExpiry(), key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete report %s: %w", key, err)
	}
	return nil
}
