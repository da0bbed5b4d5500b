package replay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/quote"
)

// RedisStore is the Store on Redis, through any go-redis UniversalClient:
// a single node, Sentinel (FailoverClient) or Cluster.
//
// # Key layout
//
// Every key of one org starts with the prefix and the org as a hash tag, so
// Redis Cluster keeps them in one slot (Lua scripts and MULTI may only touch
// one slot). With the default prefix:
//
//	sfcdc:{<org>}:checkpoint:<topic>  hash    replay_id (raw bytes), commit_time, written_at, token
//	sfcdc:{<org>}:checkpointed        set     topics that ever had a checkpoint
//	sfcdc:{<org>}:lease:<topic>       string  "<token>:<holder>", expires with the lease (PX)
//	sfcdc:{<org>}:fence:<topic>       string  fencing token counter (INCR), never expires
//	sfcdc:{<org>}:watermark:<object>  hash    modstamp, record_id
//	sfcdc:{<org>}:hashes              hash    comment ID → encoded Hashes
//	sfcdc:{<org>}:deadletter:<id>     hash    topic, object, replay_id, record_id, reason, error, attempts, at, body,
//	                                          event_time, retried_at, next_attempt_at, parked
//	sfcdc:{<org>}:deadletters         zset    dead letter IDs, score = ID
//	sfcdc:{<org>}:deadletters:parked  set     IDs of the parked dead letters
//	sfcdc:{<org>}:deadletters:seq     string  dead letter ID counter (INCR)
//	sfcdc:{<org>}:status:<topic>      hash    the Status fields (state, holder, last_event_at, ...)
//	sfcdc:{<org>}:statuses            set     topics with a status document
//	sfcdc:{<org>}:daily:<YYYY-MM-DD>  hash    comments, billable: the UTC day's counts (HINCRBY), expire DailyTTL after the last
//
// Times are RFC 3339 UTC with nanoseconds, durations integer milliseconds
// (fields ending in _ms), counts decimal. Topic and object names follow the
// last colon verbatim, e.g. sfcdc:{00D5e000000XyZ1}:checkpoint:/data/ChangeEvents.
//
// # Durability
//
// Redis acknowledges writes before they reach disk unless the server runs
// with appendonly yes and appendfsync always; use that for the checkpoint
// Redis. Replication is asynchronous, so a failover can roll a checkpoint
// back (duplicates only) or, to an empty replica, lose it (see the package
// documentation).
type RedisStore struct {
	client  redis.UniversalClient
	keys    redisKeys
	timeout time.Duration
}

// RedisOptions tune a RedisStore. The zero value is usable.
type RedisOptions struct {
	// KeyPrefix starts every key; empty means DefaultKeyPrefix. It must not
	// contain '{' or '}', which would take the place of the org hash tag.
	KeyPrefix string
	// Timeout bounds each operation (all its round trips) unless ctx ends
	// sooner; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Defaults of RedisOptions and Config.
const (
	DefaultKeyPrefix = "sfcdc:"
	DefaultTimeout   = 5 * time.Second
)

// NewRedisStore returns a store on client, which it owns from now on: Close
// closes it. For operations to stop at Timeout even while a connection
// hangs, the client should have ContextTimeoutEnabled (Open sets it).
func NewRedisStore(client redis.UniversalClient, opts RedisOptions) (*RedisStore, error) {
	if err := checkKeyPrefix(opts.KeyPrefix); err != nil {
		return nil, fmt.Errorf("new redis store: %w", err)
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &RedisStore{client: client, keys: redisKeys{prefix: prefix}, timeout: timeout}, nil
}

func checkKeyPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "{}") {
		return invalidf("key prefix %s contains '{' or '}'", quote.Value(prefix))
	}
	return nil
}

// Close closes the client.
func (s *RedisStore) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("close redis store: %w", err)
	}
	return nil
}

// Ping checks that Redis answers.
func (s *RedisStore) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// op bounds one operation by the store's timeout.
func (s *RedisStore) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// redisKeys builds the key names documented on RedisStore.
type redisKeys struct{ prefix string }

// org is the common start of all keys of org: "<prefix>{<org>}:".
func (k redisKeys) org(org string) string { return k.prefix + "{" + org + "}:" }

func (k redisKeys) checkpoint(org, topic string) string {
	return k.org(org) + "checkpoint:" + topic
}
func (k redisKeys) checkpointed(org string) string      { return k.org(org) + "checkpointed" }
func (k redisKeys) lease(org, topic string) string      { return k.org(org) + "lease:" + topic }
func (k redisKeys) fence(org, topic string) string      { return k.org(org) + "fence:" + topic }
func (k redisKeys) watermark(org, object string) string { return k.org(org) + "watermark:" + object }
func (k redisKeys) hashes(org string) string            { return k.org(org) + "hashes" }
func (k redisKeys) deadLetter(org, id string) string    { return k.org(org) + "deadletter:" + id }
func (k redisKeys) deadLetters(org string) string       { return k.org(org) + "deadletters" }
func (k redisKeys) deadLetterSeq(org string) string     { return k.org(org) + "deadletters:seq" }
func (k redisKeys) parkedDeadLetters(org string) string { return k.org(org) + "deadletters:parked" }
func (k redisKeys) status(org, topic string) string     { return k.org(org) + "status:" + topic }
func (k redisKeys) statuses(org string) string          { return k.org(org) + "statuses" }
func (k redisKeys) daily(org, day string) string        { return k.org(org) + "daily:" + day }

// now is the store's clock for WrittenAt, UpdatedAt and lease deadlines.
// It includes the monotonic reading, which Lease.Expires relies on.
func now() time.Time { return time.Now() }
