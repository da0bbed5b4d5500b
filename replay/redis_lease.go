package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// acquireScript grants the lease (KEYS[1]) to ARGV[1] for ARGV[2] ms with a
// new token from the counter (KEYS[2]), or reports the current holder. The
// counter is first raised to the token of the stored checkpoint (KEYS[3]),
// so even a Redis that lost the counter but kept the checkpoint never hands
// out a token that was already used. The token is read back with GET, as a
// string, because Lua numbers print large integers in exponent form.
//
// Returns {1, token} on success (also when ARGV[1] already holds the lease:
// its TTL restarts, so a retried acquisition is harmless), or
// {0, "<token>:<holder>", pttl} when someone else holds it.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local tok, holder = string.match(cur, '^(%d+):(.*)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, tok}
  end
  return {0, cur, redis.call('PTTL', KEYS[1])}
end
local stored = tonumber(redis.call('HGET', KEYS[3], 'token') or '0') or 0
local counter = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if stored > counter then
  redis.call('SET', KEYS[2], string.format('%d', stored))
end
redis.call('INCR', KEYS[2])
local tok = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], tok .. ':' .. ARGV[1], 'PX', ARGV[2])
return {1, tok}
`)

// renewScript restarts the TTL of the lease KEYS[1] if it still holds
// ARGV[1] ("<token>:<holder>"): 1 if renewed, 0 if not.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lease KEYS[1] if it holds ARGV[1]: 1 if
// deleted, 2 if there was no lease, 0 if someone else holds it.
var releaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 2 end
if cur == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// AcquireLease implements LeaseStore.
func (s *RedisStore) AcquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error) {
	lease, err := s.acquireLease(ctx, org, topic, holder, ttl)
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease %s: %w", ref(org, topic), err)
	}
	return lease, nil
}

func (s *RedisStore) acquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Lease{}, err
	}
	if err := checkName("holder", holder); err != nil {
		return Lease{}, err
	}
	if err := checkTTL(ttl); err != nil {
		return Lease{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	start := now()
	keys := []string{s.keys.lease(org, topic), s.keys.fence(org, topic), s.keys.checkpoint(org, topic)}
	reply, err := acquireScript.Run(ctx, s.client, keys, holder, ttl.Milliseconds()).Slice()
	if err != nil {
		return Lease{}, err
	}
	return leaseFromAcquireReply(reply, Lease{Org: org, Topic: topic, Holder: holder, TTL: ttl, Expires: start.Add(ttl)})
}

// leaseFromAcquireReply completes lease from acquireScript's reply.
func leaseFromAcquireReply(reply []any, lease Lease) (Lease, error) {
	if len(reply) < 2 {
		return Lease{}, corruptf("acquire reply of %d elements", len(reply))
	}
	granted, _ := reply[0].(int64)
	value, _ := reply[1].(string)
	if granted == 1 {
		token, _, err := parseLeaseValue(value + ":" + lease.Holder)
		if err != nil {
			return Lease{}, err
		}
		lease.Token = token
		return lease, nil
	}
	_, other, err := parseLeaseValue(value)
	if err != nil {
		return Lease{}, err
	}
	var remaining time.Duration
	if len(reply) > 2 {
		if pttl, ok := reply[2].(int64); ok && pttl > 0 {
			remaining = time.Duration(pttl) * time.Millisecond
		}
	}
	return Lease{}, &LeaseHeldError{Holder: other, Remaining: remaining}
}

// RenewLease implements LeaseStore.
func (s *RedisStore) RenewLease(ctx context.Context, lease Lease) (Lease, error) {
	if err := checkLease(lease); err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	start := now()
	key := s.keys.lease(lease.Org, lease.Topic)
	renewed, err := renewScript.Run(ctx, s.client, []string{key},
		leaseValue(lease.Token, lease.Holder), lease.TTL.Milliseconds()).Int()
	if err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	if renewed != 1 {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), ErrFenced)
	}
	lease.Expires = start.Add(lease.TTL)
	return lease, nil
}

// RenewLeases implements LeaseStore: one pipeline of renewScript calls
// (EVALSHA; if Redis lost the script, it is loaded and the pipeline sent
// once more, which is harmless: a renewal is idempotent). On a cluster
// the client splits the pipeline by node.
func (s *RedisStore) RenewLeases(ctx context.Context, leases []Lease) ([]Lease, []error) {
	renewed, errs := make([]Lease, len(leases)), make([]error, len(leases))
	var sent []int
	for i, l := range leases {
		if err := checkLease(l); err != nil {
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), err)
			continue
		}
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return renewed, errs
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	start := now()
	cmds, err := s.renewPipeline(ctx, leases, sent)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := renewScript.Load(ctx, s.client).Err(); err != nil {
			for _, i := range sent {
				errs[i] = fmt.Errorf("renew lease %s: %w", ref(leases[i].Org, leases[i].Topic), err)
			}
			return renewed, errs
		}
		cmds, _ = s.renewPipeline(ctx, leases, sent)
	}
	for k, i := range sent {
		l := leases[i]
		n, cerr := cmds[k].Int64()
		switch {
		case cerr != nil:
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), cerr)
		case n != 1:
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), ErrFenced)
		default:
			l.Expires = start.Add(l.TTL)
			renewed[i] = l
		}
	}
	return renewed, errs
}

// renewPipeline sends renewScript for leases[sent...] in one pipeline; the
// error is the first command's failure, if any (each command keeps its own).
func (s *RedisStore) renewPipeline(ctx context.Context, leases []Lease, sent []int) ([]*redis.Cmd, error) {
	pipe := s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(sent))
	for k, i := range sent {
		l := leases[i]
		cmds[k] = renewScript.EvalSha(ctx, pipe, []string{s.keys.lease(l.Org, l.Topic)},
			leaseValue(l.Token, l.Holder), l.TTL.Milliseconds())
	}
	_, err := pipe.Exec(ctx)
	return cmds, err
}

// ReleaseLease implements LeaseStore.
func (s *RedisStore) ReleaseLease(ctx context.Context, lease Lease) error {
	if err := checkLease(lease); err != nil {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.keys.lease(lease.Org, lease.Topic)
	result, err := releaseScript.Run(ctx, s.client, []string{key}, leaseValue(lease.Token, lease.Holder)).Int()
	if err != nil {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	if result == 0 {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), ErrFenced)
	}
	return nil
}
