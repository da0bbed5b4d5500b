package replay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileStore is the Store in one bbolt file, for a single machine without
// Redis. Every write is a bbolt transaction that fsyncs on commit, so an
// acknowledged checkpoint survives a crash or power loss. bbolt locks the
// file, so a second process cannot open it: leases therefore only arbitrate
// between workers of this process and live in memory, while their fencing
// tokens are persisted so they keep growing across restarts.
//
// # Layout
//
// One top-level bucket per org, named "org:<org>", holding the buckets
// checkpoints (topic → record), checkpointed (topic → empty), fences
// (topic → 8-byte big-endian counter), watermarks (object → record), hashes
// (comment ID → encoded Hashes), deadletters (8-byte big-endian ID →
// record) and statuses (topic → record). A record is the same named fields
// RedisStore keeps in a hash, serialised by encodeFields.
type FileStore struct {
	db *bolt.DB

	mu     sync.Mutex // guards leases and members; held across a fenced write
	leases map[leaseKey]fileLease
	// members are the live instances: one process holds the file, so
	// membership lives in memory (see file_registry.go).
	members map[string]Member
	// reports are the instance's reports, in memory likewise.
	reports map[string]fileReport
}

type leaseKey struct{ org, topic string }

type fileLease struct {
	token   uint64
	holder  string
	expires time.Time // monotonic
}

// FileOptions tune a FileStore. The zero value is usable.
type FileOptions struct {
	// LockTimeout is how long OpenFileStore waits for another process to
	// release the file; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
}

// DefaultLockTimeout is FileOptions.LockTimeout's default.
const DefaultLockTimeout = time.Second

// Bucket names.
var (
	bucketCheckpoints  = []byte("checkpoints")
	bucketCheckpointed = []byte("checkpointed")
	bucketFences       = []byte("fences")
	bucketWatermarks   = []byte("watermarks")
	bucketHashes       = []byte("hashes")
	bucketDeadLetters  = []byte("deadletters")
	bucketStatuses     = []byte("statuses")
	bucketDaily        = []byte("daily")
)

// OpenFileStore opens (or creates, mode 0600) the store at path.
func OpenFileStore(path string, opts FileOptions) (*FileStore, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open file store %s: another process has it open: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", path, err)
	}
	return &FileStore{db: db, leases: map[leaseKey]fileLease{}}, nil
}

// Close closes the file.
func (s *FileStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close file store: %w", err)
	}
	return nil
}

func orgBucketName(org string) []byte { return []byte("org:" + org) }

// view runs fn with the named bucket of org, or nil if it does not exist.
func (s *FileStore) view(ctx context.Context, org string, name []byte, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		return fn(bucketOf(tx, org, name))
	})
}

func bucketOf(tx *bolt.Tx, org string, name []byte) *bolt.Bucket {
	ob := tx.Bucket(orgBucketName(org))
	if ob == nil {
		return nil
	}
	return ob.Bucket(name)
}

// update runs fn in a write transaction with the named bucket of org,
// creating it if needed.
func (s *FileStore) update(ctx context.Context, org string, name []byte, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := createBucket(tx, org, name)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

func createBucket(tx *bolt.Tx, org string, name []byte) (*bolt.Bucket, error) {
	ob, err := tx.CreateBucketIfNotExists(orgBucketName(org))
	if err != nil {
		return nil, err
	}
	return ob.CreateBucketIfNotExists(name)
}

// getFields decodes the record at key, or returns ErrNotFound.
func getFields(b *bolt.Bucket, key []byte) (fields, error) {
	if b == nil {
		return nil, ErrNotFound
	}
	v := b.Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	return decodeFields(v)
}
