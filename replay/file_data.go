package replay

import (
	"context"

	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// SaveWatermark implements WatermarkStore.
func (s *FileStore) SaveWatermark(ctx context.Context, org, object string, w Watermark) error {
	if err := checkOrgName(org, "object", object); err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	if err := checkWatermark(w); err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	err := s.update(ctx, org, bucketWatermarks, func(b *bolt.Bucket) error {
		return b.Put([]byte(object), encodeFields(w.fields()))
	})
	if err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	return nil
}

// Watermark implements WatermarkStore.
func (s *FileStore) Watermark(ctx context.Context, org, object string) (Watermark, error) {
	if err := checkOrgName(org, "object", object); err != nil {
		return Watermark{}, fmt.Errorf("read watermark %s: %w", ref(org, object), err)
	}
	var w Watermark
	err := s.view(ctx, org, bucketWatermarks, func(b *bolt.Bucket) error {
		f, err := getFields(b, []byte(object))
		if err != nil {
			return err
		}
		w, err = watermarkFromFields(f)
		return err
	})
	if err != nil {
		return Watermark{}, fmt.Errorf("read watermark %s: %w", ref(org, object), err)
	}
	return w, nil
}

// Hashes implements HashStore in one read transaction.
func (s *FileStore) Hashes(ctx context.Context, org string, commentIDs []string) (map[string]Hashes, error) {
	if err := checkCommentIDs(org, commentIDs); err != nil {
		return nil, fmt.Errorf("read hashes %s: %w", orgRef(org), err)
	}
	out := make(map[string]Hashes, len(commentIDs))
	err := s.view(ctx, org, bucketHashes, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		for _, id := range commentIDs {
			if h, err := decodeHashes(b.Get([]byte(id))); err == nil {
				out[id] = h
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read hashes %s: %w", orgRef(org), err)
	}
	return out, nil
}

// SaveHashes implements HashStore in one transaction (one fsync).
func (s *FileStore) SaveHashes(ctx context.Context, org string, batch map[string]Hashes) error {
	if err := checkHashBatch(org, batch); err != nil {
		return fmt.Errorf("save hashes %s: %w", orgRef(org), err)
	}
	if len(batch) == 0 {
		return nil
	}
	// Sorted keys make bbolt append to pages in order instead of splitting
	// them at random: several times faster for large batches.
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := s.update(ctx, org, bucketHashes, func(b *bolt.Bucket) error {
		for _, id := range ids {
			if err := b.Put([]byte(id), encodeHashes(batch[id])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save hashes %s: %w", orgRef(org), err)
	}
	return nil
}

// DeleteHashes implements HashStore in one transaction.
func (s *FileStore) DeleteHashes(ctx context.Context, org string, commentIDs []string) error {
	if err := checkCommentIDs(org, commentIDs); err != nil {
		return fmt.Errorf("delete hashes %s: %w", orgRef(org), err)
	}
	if len(commentIDs) == 0 {
		return nil
	}
	err := s.update(ctx, org, bucketHashes, func(b *bolt.Bucket) error {
		for _, id := range commentIDs {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete hashes %s: %w", orgRef(org), err)
	}
	return nil
}

// SaveStatus implements StatusStore.
func (s *FileStore) SaveStatus(ctx context.Context, org, topic string, st Status) error {
	if err := checkStatus(org, topic); err != nil {
		return fmt.Errorf("save status %s: %w", ref(org, topic), err)
	}
	st.UpdatedAt = now()
	err := s.update(ctx, org, bucketStatuses, func(b *bolt.Bucket) error {
		return b.Put([]byte(topic), encodeFields(statusFields(st)))
	})
	if err != nil {
		return fmt.Errorf("save status %s: %w", ref(org, topic), err)
	}
	return nil
}

// SaveStatuses implements StatusStore: SaveStatus for each (a local
// file has no round trips to save).
func (s *FileStore) SaveStatuses(ctx context.Context, docs []TopicStatus) []error {
	errs := make([]error, len(docs))
	for i, d := range docs {
		errs[i] = s.SaveStatus(ctx, d.Org, d.Topic, d.Status)
	}
	return errs
}

// Status implements StatusStore.
func (s *FileStore) Status(ctx context.Context, org, topic string) (Status, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Status{}, fmt.Errorf("read status %s: %w", ref(org, topic), err)
	}
	var st Status
	err := s.view(ctx, org, bucketStatuses, func(b *bolt.Bucket) error {
		f, err := getFields(b, []byte(topic))
		if err != nil {
			return err
		}
		st, err = statusFromFields(topic, f)
		return err
	})
	if err != nil {
		return Status{}, fmt.Errorf("read status %s: %w", ref(org, topic), err)
	}
	return st, nil
}

// Statuses implements StatusStore; bbolt iterates keys in order.
func (s *FileStore) Statuses(ctx context.Context, org string) ([]Status, error) {
	if err := checkOrg(org); err != nil {
		return nil, fmt.Errorf("read statuses %s: %w", orgRef(org), err)
	}
	out := []Status{}
	err := s.view(ctx, org, bucketStatuses, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			f, err := decodeFields(v)
			if err != nil {
				return fmt.Errorf("topic %s: %w", k, err)
			}
			st, err := statusFromFields(string(k), f)
			if err != nil {
				return fmt.Errorf("topic %s: %w", k, err)
			}
			out = append(out, st)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read statuses %s: %w", orgRef(org), err)
	}
	return out, nil
}
