package replay

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// CheckpointDeleter forgets a topic's checkpoint, for operator tools
// (`sfcdc replay reset`). It is not part of Store: workers never delete.
type CheckpointDeleter interface {
	// DeleteCheckpoint removes the lease's topic checkpoint and its "ever
	// checkpointed" marker, so the topic reads as ErrNotFound (a new topic
	// that starts from the configured initial position), not as
	// ErrCheckpointVanished. Fenced like SaveCheckpoint: ErrFenced unless
	// lease is current. Deleting a missing checkpoint is harmless.
	DeleteCheckpoint(ctx context.Context, lease Lease) error
}

// Both implementations can delete checkpoints.
var (
	_ CheckpointDeleter = (*RedisStore)(nil)
	_ CheckpointDeleter = (*FileStore)(nil)
)

// deleteCheckpointScript deletes the checkpoint (KEYS[2]) and its marker in
// KEYS[3] only if the lease (KEYS[1]) holds exactly ARGV[1]. ARGV: lease
// value, topic. Returns 1 if deleted, 0 if fenced.
var deleteCheckpointScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return 1
`)

// DeleteCheckpoint implements CheckpointDeleter.
func (s *RedisStore) DeleteCheckpoint(ctx context.Context, lease Lease) error {
	if err := checkLease(lease); err != nil {
		return fmt.Errorf("delete checkpoint %s: %w", ref(lease.Org, lease.Topic), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := []string{
		s.keys.lease(lease.Org, lease.Topic),
		s.keys.checkpoint(lease.Org, lease.Topic),
		s.keys.checkpointed(lease.Org),
	}
	deleted, err := deleteCheckpointScript.Run(ctx, s.client, keys, leaseValue(lease.Token, lease.Holder), lease.Topic).Int()
	if err == nil && deleted != 1 {
		err = ErrFenced
	}
	if err != nil {
		return fmt.Errorf("delete checkpoint %s: %w", ref(lease.Org, lease.Topic), err)
	}
	return nil
}

// DeleteCheckpoint implements CheckpointDeleter. The fencing counter stays,
// so later leases still get larger tokens.
func (s *FileStore) DeleteCheckpoint(ctx context.Context, lease Lease) error {
	err := checkLease(lease)
	if err == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.currentLease(lease) {
			err = ErrFenced
		}
	}
	if err == nil {
		err = s.update(ctx, lease.Org, bucketCheckpoints, func(b *bolt.Bucket) error {
			if err := b.Delete([]byte(lease.Topic)); err != nil {
				return err
			}
			if marks := bucketOf(b.Tx(), lease.Org, bucketCheckpointed); marks != nil {
				return marks.Delete([]byte(lease.Topic))
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("delete checkpoint %s: %w", ref(lease.Org, lease.Topic), err)
	}
	return nil
}
