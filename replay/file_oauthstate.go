package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketOAuthStates = []byte("oauth-states")

// PutOAuthState implements OAuthStateStore.
func (s *FileStore) PutOAuthState(ctx context.Context, id string, doc []byte, ttl time.Duration) error {
	if err := checkOAuthState(id, doc, ttl); err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		dep, err := tx.CreateBucketIfNotExists(bucketDeployment)
		if err != nil {
			return err
		}
		states, err := dep.CreateBucketIfNotExists(bucketOAuthStates)
		if err != nil {
			return err
		}
		// Expired records of abandoned logins go as new ones come.
		now := now()
		c := states.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if f, err := decodeFields(v); err != nil || expired(f, now) {
				_ = c.Delete()
			}
		}
		f := fields{"doc": string(doc)}
		f.setTime("expires", now.Add(ttl))
		return states.Put([]byte(id), encodeFields(f))
	})
	if err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	return nil
}

func expired(f fields, now time.Time) bool {
	exp, err := f.time("expires")
	return err != nil || !now.Before(exp)
}

// TakeOAuthState implements OAuthStateStore.
func (s *FileStore) TakeOAuthState(ctx context.Context, id string) ([]byte, error) {
	if err := checkName("oauth state", id); err != nil {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	var doc []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		dep := tx.Bucket(bucketDeployment)
		if dep == nil {
			return ErrNotFound
		}
		states := dep.Bucket(bucketOAuthStates)
		if states == nil {
			return ErrNotFound
		}
		raw := states.Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		f, err := decodeFields(raw)
		if err != nil {
			return err
		}
		if err := states.Delete([]byte(id)); err != nil {
			return err
		}
		if expired(f, now()) {
			return ErrNotFound
		}
		doc = []byte(f["doc"])
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("take oauth state: %w", ErrNotFound)
	}
	return doc, nil
}
