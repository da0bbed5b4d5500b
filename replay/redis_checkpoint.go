package replay

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// saveCheckpointScript is the fenced compare-and-set: it writes the
// checkpoint (KEYS[2]) and marks the topic in the "ever checkpointed" set
// (KEYS[3]) only if the lease (KEYS[1]) holds exactly ARGV[1],
// "<token>:<holder>". Comparing the whole value, not just the token, also
// rejects a stale holder whose token number a Redis that lost its counter
// handed out again. ARGV: lease value, token, topic, replay ID, commit time,
// written at. Returns 1 if written, 0 if fenced.
var saveCheckpointScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'replay_id', ARGV[4], 'commit_time', ARGV[5], 'written_at', ARGV[6], 'token', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`)

// SaveCheckpoint implements CheckpointStore.
func (s *RedisStore) SaveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error {
	if err := s.saveCheckpoint(ctx, lease, cp); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", ref(lease.Org, lease.Topic), err)
	}
	return nil
}

func (s *RedisStore) saveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error {
	if err := checkLease(lease); err != nil {
		return err
	}
	if err := checkNewCheckpoint(cp); err != nil {
		return err
	}
	cp.WrittenAt = now()
	cp.Token = lease.Token
	f := cp.fields()
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := []string{
		s.keys.lease(lease.Org, lease.Topic),
		s.keys.checkpoint(lease.Org, lease.Topic),
		s.keys.checkpointed(lease.Org),
	}
	written, err := saveCheckpointScript.Run(ctx, s.client, keys,
		leaseValue(lease.Token, lease.Holder), f[fieldToken], lease.Topic,
		f[fieldReplayID], f[fieldCommitTime], f[fieldWrittenAt]).Int()
	if err != nil {
		return err
	}
	if written != 1 {
		return ErrFenced
	}
	return nil
}

// Checkpoint implements CheckpointStore. It reads the checkpoint and the
// "ever checkpointed" marker in one round trip.
func (s *RedisStore) Checkpoint(ctx context.Context, org, topic string) (Checkpoint, error) {
	cp, err := s.checkpoint(ctx, org, topic)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint %s: %w", ref(org, topic), err)
	}
	return cp, nil
}

func (s *RedisStore) checkpoint(ctx context.Context, org, topic string) (Checkpoint, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Checkpoint{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var stored *redis.MapStringStringCmd
	var marked *redis.BoolCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		stored = p.HGetAll(ctx, s.keys.checkpoint(org, topic))
		marked = p.SIsMember(ctx, s.keys.checkpointed(org), topic)
		return nil
	})
	if err != nil {
		return Checkpoint{}, err
	}
	if len(stored.Val()) == 0 {
		if marked.Val() {
			return Checkpoint{}, ErrCheckpointVanished
		}
		return Checkpoint{}, ErrNotFound
	}
	return checkpointFromFields(stored.Val())
}
