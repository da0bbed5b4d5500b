package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// DailyStore keeps an org's counts of one UTC day (what the operator
// console shows as "today"): instances add what they sent, so the count
// survives worker restarts and takeovers, and each day's counts live
// about DailyTTL after their last addition, then go.
type DailyStore interface {
	// AddDaily adds c to the org's counts of day (its UTC date; the time
	// of day is ignored). Additions from many instances add up.
	AddDaily(ctx context.Context, org string, day time.Time, c DailyCounts) error
	// Daily returns the org's counts of day; zero when none were added.
	Daily(ctx context.Context, org string, day time.Time) (DailyCounts, error)
}

// DailyCounts are the comments CM accepted in a day (created, text or
// metadata updated) and how many of them it bills (created or text
// updated).
type DailyCounts struct {
	Comments int64 `json:"comments"`
	Billable int64 `json:"billable"`
}

// IsZero says whether there is nothing to add.
func (c DailyCounts) IsZero() bool { return c == DailyCounts{} }

// DailyTTL is how long a day's counts stay after their last addition: past
// the end of the day, so yesterday's can still be read, not for ever.
const DailyTTL = 48 * time.Hour

// dayKey is day's UTC date, the counts' key.
func dayKey(day time.Time) string { return day.UTC().Format(time.DateOnly) }

func checkDaily(org string, c DailyCounts) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	if c.Comments < 0 || c.Billable < 0 {
		return invalidf("daily counts %+v: counts only grow", c)
	}
	return nil
}

// AddDaily implements DailyStore: HINCRBY on both fields and the TTL
// restarted, in one MULTI.
func (s *RedisStore) AddDaily(ctx context.Context, org string, day time.Time, c DailyCounts) error {
	if err := checkDaily(org, c); err != nil {
		return fmt.Errorf("add daily counts %s: %w", orgRef(org), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.keys.daily(org, dayKey(day))
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, "comments", c.Comments)
		p.HIncrBy(ctx, key, "billable", c.Billable)
		p.Expire(ctx, key, DailyTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("add daily counts %s: %w", orgRef(org), err)
	}
	return nil
}

// Daily implements DailyStore.
func (s *RedisStore) Daily(ctx context.Context, org string, day time.Time) (DailyCounts, error) {
	if err := checkOrg(org); err != nil {
		return DailyCounts{}, fmt.Errorf("read daily counts %s: %w", orgRef(org), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	f, err := s.client.HGetAll(ctx, s.keys.daily(org, dayKey(day))).Result()
	if err != nil {
		return DailyCounts{}, fmt.Errorf("read daily counts %s: %w", orgRef(org), err)
	}
	var out DailyCounts
	for name, v := range map[string]*int64{"comments": &out.Comments, "billable": &out.Billable} {
		if f[name] == "" {
			continue
		}
		if *v, err = strconv.ParseInt(f[name], 10, 64); err != nil {
			return DailyCounts{}, fmt.Errorf("read daily counts %s: field %s: %w", orgRef(org), name, err)
		}
	}
	return out, nil
}

// AddDaily implements DailyStore: the day's document read, added to and
// written in one transaction, and days older than DailyTTL before day
// removed (the file has no expiry of its own).
func (s *FileStore) AddDaily(ctx context.Context, org string, day time.Time, c DailyCounts) error {
	if err := checkDaily(org, c); err != nil {
		return fmt.Errorf("add daily counts %s: %w", orgRef(org), err)
	}
	key := []byte(dayKey(day))
	oldest := []byte(dayKey(day.Add(-DailyTTL)))
	err := s.update(ctx, org, bucketDaily, func(b *bolt.Bucket) error {
		var have DailyCounts
		if v := b.Get(key); v != nil {
			if err := json.Unmarshal(v, &have); err != nil {
				return fmt.Errorf("day %s: %w", key, err)
			}
		}
		have.Comments += c.Comments
		have.Billable += c.Billable
		v, err := json.Marshal(have)
		if err != nil {
			return err
		}
		if err := b.Put(key, v); err != nil {
			return err
		}
		var stale [][]byte
		cur := b.Cursor()
		for k, _ := cur.First(); k != nil && string(k) < string(oldest); k, _ = cur.Next() {
			stale = append(stale, append([]byte(nil), k...))
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add daily counts %s: %w", orgRef(org), err)
	}
	return nil
}

// Daily implements DailyStore.
func (s *FileStore) Daily(ctx context.Context, org string, day time.Time) (DailyCounts, error) {
	if err := checkOrg(org); err != nil {
		return DailyCounts{}, fmt.Errorf("read daily counts %s: %w", orgRef(org), err)
	}
	var out DailyCounts
	err := s.view(ctx, org, bucketDaily, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(dayKey(day))); v != nil {
			return json.Unmarshal(v, &out)
		}
		return nil
	})
	if err != nil {
		return DailyCounts{}, fmt.Errorf("read daily counts %s: %w", orgRef(org), err)
	}
	return out, nil
}

// AddDaily implements DailyStore in the scope.
func (s *Scoped) AddDaily(ctx context.Context, org string, day time.Time, c DailyCounts) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("add daily counts: %w", err)
	}
	return s.Store.AddDaily(ctx, o, day, c)
}

// Daily implements DailyStore in the scope.
func (s *Scoped) Daily(ctx context.Context, org string, day time.Time) (DailyCounts, error) {
	o, err := s.org(org)
	if err != nil {
		return DailyCounts{}, fmt.Errorf("read daily counts: %w", err)
	}
	return s.Store.Daily(ctx, o, day)
}
