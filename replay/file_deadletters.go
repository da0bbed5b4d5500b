package replay

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// deadLetterKey is the bbolt key of a dead letter: its ID big-endian, so
// keys sort by arrival.
func deadLetterKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// AddDeadLetter implements DeadLetterStore; the ID is the bucket's sequence.
func (s *FileStore) AddDeadLetter(ctx context.Context, org string, d DeadLetter) (string, error) {
	if err := checkNewDeadLetter(org, d); err != nil {
		return "", fmt.Errorf("add dead letter %s: %w", orgRef(org), err)
	}
	if d.At.IsZero() {
		d.At = now()
	}
	var seq uint64
	err := s.update(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		return b.Put(deadLetterKey(seq), encodeFields(d.fields()))
	})
	if err != nil {
		return "", fmt.Errorf("add dead letter %s: %w", orgRef(org), err)
	}
	return uintString(seq), nil
}

// DeadLetter implements DeadLetterStore.
func (s *FileStore) DeadLetter(ctx context.Context, org, id string) (DeadLetter, error) {
	d, err := s.deadLetter(ctx, org, id)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("read dead letter %s: %w", ref(org, id), err)
	}
	return d, nil
}

func (s *FileStore) deadLetter(ctx context.Context, org, id string) (DeadLetter, error) {
	if err := checkOrg(org); err != nil {
		return DeadLetter{}, err
	}
	seq, err := parseDeadLetterID(id)
	if err != nil {
		return DeadLetter{}, err
	}
	var d DeadLetter
	err = s.view(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		f, err := getFields(b, deadLetterKey(seq))
		if err != nil {
			return err
		}
		d, err = deadLetterFromFields(id, f)
		return err
	})
	return d, err
}

// ListDeadLetters implements DeadLetterStore by walking the keys backwards.
func (s *FileStore) ListDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error) {
	out, err := s.listDeadLetters(ctx, org, before, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list dead letters %s: %w", orgRef(org), err)
	}
	return out, nil
}

func (s *FileStore) listDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error) {
	if err := checkOrg(org); err != nil {
		return nil, err
	}
	below, err := checkBefore(before)
	if err != nil {
		return nil, err
	}
	out := []DeadLetter{}
	err = s.view(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := startBelow(c, below); k != nil && len(out) < limit; k, v = c.Prev() {
			d, err := decodeDeadLetter(k, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// startBelow positions c on the last key below the ID below (0: the last
// key of all).
func startBelow(c *bolt.Cursor, below uint64) ([]byte, []byte) {
	if below == 0 {
		return c.Last()
	}
	if k, _ := c.Seek(deadLetterKey(below)); k == nil {
		return c.Last()
	}
	return c.Prev()
}

func decodeDeadLetter(k, v []byte) (DeadLetter, error) {
	if len(k) != 8 {
		return DeadLetter{}, corruptf("dead letter key of %d bytes", len(k))
	}
	id := uintString(binary.BigEndian.Uint64(k))
	f, err := decodeFields(v)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	d, err := deadLetterFromFields(id, f)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	return d, nil
}

// DeleteDeadLetter implements DeadLetterStore.
func (s *FileStore) DeleteDeadLetter(ctx context.Context, org, id string) error {
	if err := s.deleteDeadLetter(ctx, org, id); err != nil {
		return fmt.Errorf("delete dead letter %s: %w", ref(org, id), err)
	}
	return nil
}

func (s *FileStore) deleteDeadLetter(ctx context.Context, org, id string) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	seq, err := parseDeadLetterID(id)
	if err != nil {
		return err
	}
	return s.update(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		key := deadLetterKey(seq)
		if b.Get(key) == nil {
			return ErrNotFound
		}
		return b.Delete(key)
	})
}

// PurgeDeadLetters implements DeadLetterStore by replacing the bucket,
// keeping its sequence so IDs are never reused.
func (s *FileStore) PurgeDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, fmt.Errorf("purge dead letters %s: %w", orgRef(org), err)
	}
	purged := 0
	err := s.update(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		purged = b.Stats().KeyN
		seq := b.Sequence()
		ob := b.Tx().Bucket(orgBucketName(org))
		if err := ob.DeleteBucket(bucketDeadLetters); err != nil {
			return err
		}
		fresh, err := ob.CreateBucket(bucketDeadLetters)
		if err != nil {
			return err
		}
		return fresh.SetSequence(seq)
	})
	if err != nil {
		return 0, fmt.Errorf("purge dead letters %s: %w", orgRef(org), err)
	}
	return purged, nil
}

// CountDeadLetters implements DeadLetterStore.
func (s *FileStore) CountDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, fmt.Errorf("count dead letters %s: %w", orgRef(org), err)
	}
	n := 0
	err := s.view(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		if b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count dead letters %s: %w", orgRef(org), err)
	}
	return n, nil
}

// CountParkedDeadLetters implements DeadLetterStore by reading every dead
// letter of the org: a local file, and parked ones are looked at rarely.
func (s *FileStore) CountParkedDeadLetters(ctx context.Context, org string) (int, error) {
	if err := checkOrg(org); err != nil {
		return 0, fmt.Errorf("count parked dead letters %s: %w", orgRef(org), err)
	}
	n := 0
	err := s.view(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			d, err := decodeDeadLetter(k, v)
			if err != nil {
				return err
			}
			if d.Parked {
				n++
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("count parked dead letters %s: %w", orgRef(org), err)
	}
	return n, nil
}

// RecordDeadLetterRetry implements DeadLetterStore in one write transaction.
func (s *FileStore) RecordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error) {
	d, err := s.recordDeadLetterRetry(ctx, org, id, r)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("record retry of dead letter %s: %w", ref(org, id), err)
	}
	return d, nil
}

func (s *FileStore) recordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error) {
	seq, err := checkRetry(org, id, r)
	if err != nil {
		return DeadLetter{}, err
	}
	var d DeadLetter
	err = s.update(ctx, org, bucketDeadLetters, func(b *bolt.Bucket) error {
		key := deadLetterKey(seq)
		f, err := getFields(b, key)
		if err != nil {
			return err
		}
		if d, err = deadLetterFromFields(id, f); err != nil {
			return err
		}
		d.Attempts++
		d.Error = storedErrorText(r.Error, maxDeadLetterError)
		d.RetriedAt = now()
		d.NextAttemptAt = r.NextAttemptAt
		if r.ParkAt > 0 && d.Attempts >= r.ParkAt {
			d.Parked = true
		}
		if d.Parked {
			d.NextAttemptAt = time.Time{}
		}
		// Read back through the encoding so the caller sees what a later
		// read returns (UTC, no monotonic reading).
		enc := d.fields()
		if d, err = deadLetterFromFields(id, enc); err != nil {
			return err
		}
		return b.Put(key, encodeFields(enc))
	})
	return d, err
}
