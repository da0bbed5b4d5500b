package replay

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// AddDeadLetter implements DeadLetterStore: INCR for the ID, then one MULTI
// that writes the dead letter and indexes it. A retried INCR only leaves a
// gap in the IDs.
func (s *RedisStore) AddDeadLetter(ctx context.Context, org string, d DeadLetter) (string, error) {
	id, err := s.addDeadLetter(ctx, org, d)
	if err != nil {
		return "", fmt.Errorf("add dead letter %s: %w", orgRef(org), err)
	}
	return id, nil
}

func (s *RedisStore) addDeadLetter(ctx context.Context, org string, d DeadLetter) (string, error) {
	if err := checkNewDeadLetter(org, d); err != nil {
		return "", err
	}
	if d.At.IsZero() {
		d.At = now()
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	seq, err := s.client.Incr(ctx, s.keys.deadLetterSeq(org)).Uint64()
	if err != nil {
		return "", err
	}
	id := uintString(seq)
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.deadLetter(org, id), d.fields().args()...)
		p.ZAdd(ctx, s.keys.deadLetters(org), redis.Z{Score: float64(seq), Member: id})
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// DeadLetter implements DeadLetterStore.
func (s *RedisStore) DeadLetter(ctx context.Context, org, id string) (DeadLetter, error) {
	d, err := s.deadLetter(ctx, org, id)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("read dead letter %s: %w", ref(org, id), err)
	}
	return d, nil
}

func (s *RedisStore) deadLetter(ctx context.Context, org, id string) (DeadLetter, error) {
	if err := checkOrg(org); err != nil {
		return DeadLetter{}, err
	}
	if _, err := parseDeadLetterID(id); err != nil {
		return DeadLetter{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	f, err := s.client.HGetAll(ctx, s.keys.deadLetter(org, id)).Result()
	if err != nil {
		return DeadLetter{}, err
	}
	if len(f) == 0 {
		return DeadLetter{}, ErrNotFound
	}
	return deadLetterFromFields(id, f)
}

// ListDeadLetters implements DeadLetterStore: the IDs from the index, then
// the dead letters in one pipeline.
func (s *RedisStore) ListDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error) {
	out, err := s.listDeadLetters(ctx, org, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters %s: %w", orgRef(org), err)
	}
	return out, nil
}

func (s *RedisStore) listDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error) {
	if err := checkOrg(org); err != nil {
		return nil, err
	}
	below, err := checkBefore(before)
	if err != nil {
		return nil, err
	}
	max := "+inf"
	if below != 0 {
		max = "(" + uintString(below)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	ids, err := s.client.ZRevRangeByScore(ctx, s.keys.deadLetters(org), &redis.ZRangeBy{
		Max: max, Min: "-inf", Count: int64(pageLimit(limit)),
	}).Result()
	if err != nil {
		return nil, err
	}
	return s.readDeadLetters(ctx, org, ids)
}

// readDeadLetters fetches the dead letters ids in one pipeline, skipping
// any deleted since the index was read.
func (s *RedisStore) readDeadLetters(ctx context.Context, org string, ids []string) ([]DeadLetter, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.keys.deadLetter(org, id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(ids))
	for i, cmd := range cmds {
		if len(cmd.Val()) == 0 {
			continue
		}
		d, err := deadLetterFromFields(ids[i], cmd.Val())
		if err != nil {
			return nil, fmt.Errorf("dead letter %s: %w", ids[i], err)
		}
		out = append(out, d)
	}
	return out, nil
}

// DeleteDeadLetter implements DeadLetterStore.
func (s *RedisStore) DeleteDeadLetter(ctx context.Context, org, id string) error {
	if err := s.deleteDeadLetter(ctx, org, id); err != nil {
		return fmt.Errorf("delete dead letter %s: %w", ref(org, id), err)
	}
	return nil
}

func (s *RedisStore) deleteDeadLetter(ctx context.Context, org, id string) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	if _, err := parseDeadLetterID(id); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var removed *redis.IntCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.keys.deadLetter(org, id))
		removed = p.ZRem(ctx, s.keys.deadLetters(org), id)
		p.SRem(ctx, s.keys.parkedDeadLetters(org), id)
		return nil
	})
	if err != nil {
		return err
	}
	if removed.Val() == 0 {
		return ErrNotFound
	}
	return nil
}

// purgeChunk is how many dead letters one purge step removes.
const purgeChunk = 500

// PurgeDeadLetters implements DeadLetterStore, in steps of purgeChunk so a
// large queue never becomes one long blocking command.
func (s *RedisStore) PurgeDeadLetters(ctx context.Context, org string) (int, error) {
	n, err := s.purgeDeadLetters(ctx, org)
	if err != nil {
		return n, fmt.Errorf("purge dead letters %s: %w", orgRef(org), err)
	}
	return n, nil
}

func (s *RedisStore) purgeDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	index := s.keys.deadLetters(org)
	purged := 0
	for {
		ids, err := s.client.ZRange(ctx, index, 0, purgeChunk-1).Result()
		if err != nil || len(ids) == 0 {
			return purged, err
		}
		keys := make([]string, len(ids))
		members := make([]any, len(ids))
		for i, id := range ids {
			keys[i], members[i] = s.keys.deadLetter(org, id), id
		}
		var removed *redis.IntCmd
		_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, keys...)
			removed = p.ZRem(ctx, index, members...)
			p.SRem(ctx, s.keys.parkedDeadLetters(org), members...)
			return nil
		})
		if err != nil {
			return purged, err
		}
		purged += int(removed.Val())
	}
}

// CountDeadLetters implements DeadLetterStore.
func (s *RedisStore) CountDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, fmt.Errorf("count dead letters %s: %w", orgRef(org), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	n, err := s.client.ZCard(ctx, s.keys.deadLetters(org)).Result()
	if err != nil {
		return 0, fmt.Errorf("count dead letters %s: %w", orgRef(org), err)
	}
	return int(n), nil
}

// CountParkedDeadLetters implements DeadLetterStore from the parked set.
func (s *RedisStore) CountParkedDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, fmt.Errorf("count parked dead letters %s: %w", orgRef(org), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	n, err := s.client.SCard(ctx, s.keys.parkedDeadLetters(org)).Result()
	if err != nil {
		return 0, fmt.Errorf("count parked dead letters %s: %w", orgRef(org), err)
	}
	return int(n), nil
}

// retryScript records a failed retry on the dead letter KEYS[1] if it still
// exists: field ARGV[1] (attempts) +1, field ARGV[2] (error) set to ARGV[3],
// field ARGV[4] (retried_at) to ARGV[5], field ARGV[6] (next_attempt_at)
// to ARGV[7]; once attempts reach ARGV[8] (> 0), field ARGV[9] (parked)
// is set to ARGV[10], next_attempt_at cleared, and the ID ARGV[11] added
// to the parked set KEYS[2]. One script, so a concurrent retry cannot lose
// an increment or miss the limit, and a retry racing a delete cannot
// recreate a half dead letter. It returns the updated hash, or an empty
// array if the dead letter is gone.
var retryScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local attempts = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
local parkAt = tonumber(ARGV[8])
if redis.call('HGET', KEYS[1], ARGV[9]) == ARGV[10] or (parkAt > 0 and attempts >= parkAt) then
  redis.call('HSET', KEYS[1], ARGV[9], ARGV[10], ARGV[6], '')
  redis.call('SADD', KEYS[2], ARGV[11])
end
return redis.call('HGETALL', KEYS[1])
`)

// RecordDeadLetterRetry implements DeadLetterStore.
func (s *RedisStore) RecordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error) {
	d, err := s.recordDeadLetterRetry(ctx, org, id, r)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("record retry of dead letter %s: %w", ref(org, id), err)
	}
	return d, nil
}

func (s *RedisStore) recordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error) {
	if _, err := checkRetry(org, id, r); err != nil {
		return DeadLetter{}, err
	}
	at := fields{}
	at.setTime(fieldRetried, now())
	at.setTime(fieldNextAt, r.NextAttemptAt)
	ctx, cancel := s.op(ctx)
	defer cancel()
	flat, err := retryScript.Run(ctx, s.client, []string{s.keys.deadLetter(org, id), s.keys.parkedDeadLetters(org)},
		fieldAttempts, fieldError, storedErrorText(r.Error, maxDeadLetterError), fieldRetried, at[fieldRetried],
		fieldNextAt, at[fieldNextAt], r.ParkAt, fieldParked, parkedValue, id).StringSlice()
	if err != nil {
		return DeadLetter{}, err
	}
	if len(flat) == 0 {
		return DeadLetter{}, ErrNotFound
	}
	f := make(fields, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		f[flat[i]] = flat[i+1]
	}
	return deadLetterFromFields(id, f)
}
