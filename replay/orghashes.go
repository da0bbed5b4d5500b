package replay

import (
	"context"
	"fmt"

	"github.com/sfcdc/sfcdc/mapper"
)

// OrgHashes is the store's hashes of one org as the uploader asks for them
// (it implements uploader.HashStore): mapper's fixed-size digests in, the
// store's opaque byte pairs kept. Every uploader of an org (the backfill,
// the stream, the dead-letter retrier) uses it, so each skips what any of
// them already sent.
type OrgHashes struct {
	Store HashStore
	Org   string
}

// Get returns the hashes of ids that have any. A stored pair of the wrong
// size (not written by this version of sfcdc) counts as absent: the
// comment is sent again and its hashes rewritten.
func (h OrgHashes) Get(ctx context.Context, ids []string) (map[string]mapper.Hashes, error) {
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

// Put stores the hashes of each comment in hashes.
func (h OrgHashes) Put(ctx context.Context, hashes map[string]mapper.Hashes) error {
	batch := make(map[string]Hashes, len(hashes))
	for id, m := range hashes {
		batch[id] = Hashes{Content: string(m.Content[:]), Metadata: string(m.Metadata[:])}
	}
	if err := h.Store.SaveHashes(ctx, h.Org, batch); err != nil {
		return fmt.Errorf("save content hashes: %w", err)
	}
	return nil
}

// Delete forgets the hashes of ids.
func (h OrgHashes) Delete(ctx context.Context, ids []string) error {
	if err := h.Store.DeleteHashes(ctx, h.Org, ids); err != nil {
		return fmt.Errorf("delete content hashes: %w", err)
	}
	return nil
}

func mapperHashes(s Hashes) (mapper.Hashes, bool) {
	var m mapper.Hashes
	if len(s.Content) != len(m.Content) || len(s.Metadata) != len(m.Metadata) {
		return m, false
	}
	copy(m.Content[:], s.Content)
	copy(m.Metadata[:], s.Metadata)
	return m, true
}
