package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// StatePurger removes what integrations kept, for `sfcdc integrations
// delete --purge`. It is not part of Store: workers never purge.
type StatePurger interface {
	// PurgeOrgState removes every checkpoint (with its "ever checkpointed"
	// marker), watermark, hash, dead letter, status and day's counts of the orgs whose
	// stored ID starts with orgPrefix (a Scoped store's scope), and says
	// how many stored items it removed. Leases, fencing counters and the
	// dead-letter ID sequence stay: a lease still held ends with its TTL,
	// a later lease of the same topic still gets a greater token, and a
	// dead-letter ID is never reused. An empty prefix is refused.
	PurgeOrgState(ctx context.Context, orgPrefix string) (int, error)
}

// Both implementations purge.
var (
	_ StatePurger = (*RedisStore)(nil)
	_ StatePurger = (*FileStore)(nil)
)

// Purge removes everything this scope kept (see StatePurger) from the
// underlying store; the other scopes, and the same org's state in them,
// are untouched.
func (s *Scoped) Purge(ctx context.Context) (int, error) {
	p, ok := s.Store.(StatePurger)
	if !ok {
		return 0, fmt.Errorf("purge: %w: the store %T cannot purge", ErrInvalid, s.Store)
	}
	return p.PurgeOrgState(ctx, s.prefix)
}

func checkPurgePrefix(orgPrefix string) error {
	if orgPrefix == "" {
		return invalidf("an empty org prefix would purge every org")
	}
	if err := CheckOrgID(orgPrefix); err != nil {
		return invalidf("org prefix: %v", err)
	}
	return nil
}

// purgeKept are the org keys a purge keeps (see StatePurger).
func purgeKept(rest string) bool {
	return strings.HasPrefix(rest, "lease:") || strings.HasPrefix(rest, "fence:") || rest == "deadletters:seq"
}

// PurgeOrgState implements StatePurger: a SCAN of the orgs' keys (on every
// master of a Cluster), deleted a page at a time.
func (s *RedisStore) PurgeOrgState(ctx context.Context, orgPrefix string) (int, error) {
	if err := checkPurgePrefix(orgPrefix); err != nil {
		return 0, fmt.Errorf("purge %s*: %w", orgPrefix, err)
	}
	match := globEscape(s.keys.prefix) + "{" + orgPrefix + "*"
	// ForEachMaster runs the masters at once: the count is shared.
	var removed atomic.Int64
	purge := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, match, 500).Iterator()
		var page []string
		flush := func() error {
			if len(page) == 0 {
				return nil
			}
			pipe := c.Pipeline()
			for _, k := range page {
				pipe.Del(ctx, k)
			}
			cmds, err := pipe.Exec(ctx)
			if err != nil {
				return err
			}
			for _, cmd := range cmds {
				removed.Add(cmd.(*redis.IntCmd).Val())
			}
			page = page[:0]
			return nil
		}
		for iter.Next(ctx) {
			key := iter.Val()
			_, rest, ok := strings.Cut(strings.TrimPrefix(key, s.keys.prefix), "}:")
			if !ok || purgeKept(rest) {
				continue
			}
			if page = append(page, key); len(page) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	var err error
	if cluster, ok := s.client.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return purge(ctx, c) })
	} else {
		err = purge(ctx, s.client)
	}
	if err != nil {
		return int(removed.Load()), fmt.Errorf("purge %s*: removed %d keys, then: %w", orgPrefix, removed.Load(), err)
	}
	return int(removed.Load()), nil
}

// globEscape escapes the characters SCAN's MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PurgeOrgState implements StatePurger in one transaction: each matching
// org's buckets but its fences are deleted; its dead-letter bucket is
// recreated empty with its sequence.
func (s *FileStore) PurgeOrgState(ctx context.Context, orgPrefix string) (int, error) {
	if err := checkPurgePrefix(orgPrefix); err != nil {
		return 0, fmt.Errorf("purge %s*: %w", orgPrefix, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	removed := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var orgs [][]byte
		c := tx.Cursor()
		start := orgBucketName(orgPrefix)
		for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, start); k, _ = c.Next() {
			orgs = append(orgs, append([]byte(nil), k...))
		}
		for _, name := range orgs {
			ob := tx.Bucket(name)
			for _, b := range [][]byte{bucketCheckpoints, bucketCheckpointed, bucketWatermarks, bucketHashes, bucketDeadLetters, bucketStatuses, bucketDaily} {
				inner := ob.Bucket(b)
				if inner == nil {
					continue
				}
				removed += inner.Stats().KeyN
				seq := inner.Sequence()
				if err := ob.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
					return err
				}
				if bytes.Equal(b, bucketDeadLetters) {
					fresh, err := ob.CreateBucket(b)
					if err != nil {
						return err
					}
					if err := fresh.SetSequence(seq); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge %s*: %w", orgPrefix, err)
	}
	return removed, nil
}
