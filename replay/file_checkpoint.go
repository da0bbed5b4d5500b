package replay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AcquireLease implements LeaseStore. The new token is one more than both
// the persisted counter and the token of the stored checkpoint, and is
// persisted (fsync) before the lease is granted.
func (s *FileStore) AcquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error) {
	lease, err := s.acquireLease(ctx, org, topic, holder, ttl)
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease %s: %w", ref(org, topic), err)
	}
	return lease, nil
}

func (s *FileStore) acquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Lease{}, err
	}
	if err := checkName("holder", holder); err != nil {
		return Lease{}, err
	}
	if err := checkTTL(ttl); err != nil {
		return Lease{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := now()
	key := leaseKey{org, topic}
	lease := Lease{Org: org, Topic: topic, Holder: holder, TTL: ttl, Expires: start.Add(ttl)}
	if cur, ok := s.leases[key]; ok && start.Before(cur.expires) {
		if cur.holder != holder {
			return Lease{}, &LeaseHeldError{Holder: cur.holder, Remaining: cur.expires.Sub(start)}
		}
		lease.Token = cur.token
		s.leases[key] = fileLease{token: cur.token, holder: holder, expires: lease.Expires}
		return lease, nil
	}
	token, err := s.nextToken(ctx, org, topic)
	if err != nil {
		return Lease{}, err
	}
	lease.Token = token
	s.leases[key] = fileLease{token: token, holder: holder, expires: lease.Expires}
	return lease, nil
}

// nextToken raises and persists the topic's fencing counter.
func (s *FileStore) nextToken(ctx context.Context, org, topic string) (uint64, error) {
	var token uint64
	err := s.update(ctx, org, bucketFences, func(fences *bolt.Bucket) error {
		counter, err := readCounter(fences.Get([]byte(topic)))
		if err != nil {
			return err
		}
		stored, err := storedCheckpointToken(fences.Tx(), org, topic)
		if err != nil {
			return err
		}
		token = max(counter, stored) + 1
		return fences.Put([]byte(topic), binary.BigEndian.AppendUint64(nil, token))
	})
	return token, err
}

func readCounter(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, corruptf("fence counter of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// storedCheckpointToken is the token of the topic's checkpoint, 0 if none.
func storedCheckpointToken(tx *bolt.Tx, org, topic string) (uint64, error) {
	f, err := getFields(bucketOf(tx, org, bucketCheckpoints), []byte(topic))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cp, err := checkpointFromFields(f)
	return cp.Token, err
}

// currentLease reports whether lease is the topic's live lease. s.mu held.
func (s *FileStore) currentLease(lease Lease) bool {
	cur, ok := s.leases[leaseKey{lease.Org, lease.Topic}]
	return ok && cur.token == lease.Token && cur.holder == lease.Holder && now().Before(cur.expires)
}

// RenewLease implements LeaseStore.
func (s *FileStore) RenewLease(ctx context.Context, lease Lease) (Lease, error) {
	if err := checkLease(lease); err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	if err := ctx.Err(); err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.currentLease(lease) {
		return Lease{}, fmt.Errorf("renew lease %s: %w", ref(lease.Org, lease.Topic), ErrFenced)
	}
	lease.Expires = now().Add(lease.TTL)
	s.leases[leaseKey{lease.Org, lease.Topic}] = fileLease{token: lease.Token, holder: lease.Holder, expires: lease.Expires}
	return lease, nil
}

// RenewLeases implements LeaseStore: every lease under one hold of the
// store's lock (the file store keeps leases in memory).
func (s *FileStore) RenewLeases(ctx context.Context, leases []Lease) ([]Lease, []error) {
	renewed, errs := make([]Lease, len(leases)), make([]error, len(leases))
	if err := ctx.Err(); err != nil {
		for i, l := range leases {
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), err)
		}
		return renewed, errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := now()
	for i, l := range leases {
		if err := checkLease(l); err != nil {
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), err)
			continue
		}
		if !s.currentLease(l) {
			errs[i] = fmt.Errorf("renew lease %s: %w", ref(l.Org, l.Topic), ErrFenced)
			continue
		}
		l.Expires = at.Add(l.TTL)
		s.leases[leaseKey{l.Org, l.Topic}] = fileLease{token: l.Token, holder: l.Holder, expires: l.Expires}
		renewed[i] = l
	}
	return renewed, errs
}

// ReleaseLease implements LeaseStore.
func (s *FileStore) ReleaseLease(ctx context.Context, lease Lease) error {
	if err := checkLease(lease); err != nil {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := leaseKey{lease.Org, lease.Topic}
	cur, ok := s.leases[key]
	if !ok || !now().Before(cur.expires) {
		delete(s.leases, key)
		return nil // already gone
	}
	if cur.token != lease.Token || cur.holder != lease.Holder {
		return fmt.Errorf("release lease %s: %w", ref(lease.Org, lease.Topic), ErrFenced)
	}
	delete(s.leases, key)
	return nil
}

// SaveCheckpoint implements CheckpointStore. The lease check and the write
// happen under one lock, so no other holder can take over in between.
func (s *FileStore) SaveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error {
	if err := s.saveCheckpoint(ctx, lease, cp); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", ref(lease.Org, lease.Topic), err)
	}
	return nil
}

func (s *FileStore) saveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error {
	if err := checkLease(lease); err != nil {
		return err
	}
	if err := checkNewCheckpoint(cp); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.currentLease(lease) {
		return ErrFenced
	}
	cp.WrittenAt = now()
	cp.Token = lease.Token
	return s.update(ctx, lease.Org, bucketCheckpoints, func(b *bolt.Bucket) error {
		if err := b.Put([]byte(lease.Topic), encodeFields(cp.fields())); err != nil {
			return err
		}
		marks, err := createBucket(b.Tx(), lease.Org, bucketCheckpointed)
		if err != nil {
			return err
		}
		return marks.Put([]byte(lease.Topic), []byte{1})
	})
}

// Checkpoint implements CheckpointStore.
func (s *FileStore) Checkpoint(ctx context.Context, org, topic string) (Checkpoint, error) {
	cp, err := s.checkpoint(ctx, org, topic)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint %s: %w", ref(org, topic), err)
	}
	return cp, nil
}

func (s *FileStore) checkpoint(ctx context.Context, org, topic string) (Checkpoint, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Checkpoint{}, err
	}
	if err := ctx.Err(); err != nil {
		return Checkpoint{}, err
	}
	var cp Checkpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		f, err := getFields(bucketOf(tx, org, bucketCheckpoints), []byte(topic))
		if errors.Is(err, ErrNotFound) {
			if marks := bucketOf(tx, org, bucketCheckpointed); marks != nil && marks.Get([]byte(topic)) != nil {
				return ErrCheckpointVanished
			}
		}
		if err != nil {
			return err
		}
		cp, err = checkpointFromFields(f)
		return err
	})
	return cp, err
}
