package backfill

import (
	"context"
	"fmt"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/uploader"
)

// HashStore lets the uploader keep its content hashes in the replay store,
// under one org, so every process that uploads for the org (backfill,
// stream) skips what any of them already sent.
type HashStore struct {
	Store replay.HashStore
	Org   string
}

var _ uploader.HashStore = HashStore{}

// Get implements uploader.HashStore. A stored pair of the wrong size (not
// written by this version of sfcdc) counts as absent: the comment is sent
// again and its hashes rewritten.
func (h HashStore) Get(ctx context.Context, ids []string) (map[string]mapper.Hashes, error) {
	stored, err := h.Store.Hashes(ctx, h.Org, ids)
	if err != nil {
		return nil, fmt.Errorf("read content hashes: %w", err)
	}
	out := make(map[string]mapper.Hashes, len(stored))
	for id, s := range stored {
		if m, ok := mapperHashes(s); ok {
			out[id] = m
		}
	}
	return out, nil
}

// Put implements uploader.HashStore.
func (h HashStore) Put(ctx context.Context, hashes map[string]mapper.Hashes) error {
	batch := make(map[string]replay.Hashes, len(hashes))
	for id, m := range hashes {
		batch[id] = replay.Hashes{Content: string(m.Content[:]), Metadata: string(m.Metadata[:])}
	}
	if err := h.Store.SaveHashes(ctx, h.Org, batch); err != nil {
		return fmt.Errorf("save content hashes: %w", err)
	}
	return nil
}

// Delete implements uploader.HashStore.
func (h HashStore) Delete(ctx context.Context, ids []string) error {
	if err := h.Store.DeleteHashes(ctx, h.Org, ids); err != nil {
		return fmt.Errorf("delete content hashes: %w", err)
	}
	return nil
}

func mapperHashes(s replay.Hashes) (mapper.Hashes, bool) {
	var m mapper.Hashes
	if len(s.Content) != len(m.Content) || len(s.Metadata) != len(m.Metadata) {
		return m, false
	}
	copy(m.Content[:], s.Content)
	copy(m.Metadata[:], s.Metadata)
	return m, true
}
