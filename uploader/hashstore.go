package uploader

import (
	"context"
	"sync"

	"github.com/sfcdc/sfcdc/mapper"
)

// HashStore remembers the hashes of the last version of each comment that
// CM accepted, so unchanged comments are skipped and metadata-only changes
// are known not to be billed. replay.OrgHashes keeps them in the durable
// store (Redis or the file); MemoryHashStore is the in-process one.
//
// The store holds, per comment, either nothing or the hashes of the version
// CM holds; never those of a version CM no longer has, which would make a
// return to that version look unchanged and never reach CM. So hashes are
// forgotten before a request changes or deletes a comment they describe
// (or that an unreadable store might describe), and that request waits
// until they are. Otherwise the store only saves requests: if Get fails,
// every comment is sent (CM answers "unchanged" and bills nothing for
// identical text); if Put fails, the comment is sent again next time.
type HashStore interface {
	// Get returns the stored hashes of the given comment IDs; IDs without
	// hashes are absent from the map.
	Get(ctx context.Context, ids []string) (map[string]mapper.Hashes, error)
	// Put stores hashes after CM accepted those versions.
	Put(ctx context.Context, hashes map[string]mapper.Hashes) error
	// Delete forgets comments after CM deleted them, so a record restored
	// later is sent again.
	Delete(ctx context.Context, ids []string) error
}

// MemoryHashStore is a HashStore in memory, safe for concurrent use.
type MemoryHashStore struct {
	mu     sync.Mutex
	hashes map[string]mapper.Hashes
}

// NewMemoryHashStore returns an empty store.
func NewMemoryHashStore() *MemoryHashStore {
	return &MemoryHashStore{hashes: map[string]mapper.Hashes{}}
}

// Get implements HashStore.
func (m *MemoryHashStore) Get(_ context.Context, ids []string) (map[string]mapper.Hashes, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]mapper.Hashes, len(ids))
	for _, id := range ids {
		if h, ok := m.hashes[id]; ok {
			out[id] = h
		}
	}
	return out, nil
}

// Put implements HashStore.
func (m *MemoryHashStore) Put(_ context.Context, hashes map[string]mapper.Hashes) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, h := range hashes {
		m.hashes[id] = h
	}
	return nil
}

// Delete implements HashStore.
func (m *MemoryHashStore) Delete(_ context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.hashes, id)
	}
	return nil
}

// Len returns how many comments the store knows.
func (m *MemoryHashStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.hashes)
}
