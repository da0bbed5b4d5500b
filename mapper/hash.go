package mapper

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"
)

// Hash is a digest of part of a comment: the first 16 bytes of a SHA-256.
// 128 bits keep accidental collisions out of reach for any realistic
// number of comments while halving what the hash store keeps per comment.
type Hash [16]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero hash (no hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// Hashes are the two digests of a comment. Together they cover every byte
// of its canonical JSON, so equal hashes mean an identical comment.
type Hashes struct {
	// Content covers the message text CM bills for: subjects and bodies.
	Content Hash
	// Metadata covers the rest: thread, timestamp, addresses, sent_at and
	// user properties. A change here alone is not billed.
	Metadata Hash
}

// contentHash digests the JSON-escaped subject and body (escaping is
// one-to-one, so this is a digest of the texts), each preceded by its
// length so that moving characters between them changes the hash.
func contentHash(subject, body []byte) Hash {
	st := hashStates.Get().(*hashState)
	defer hashStates.Put(st)
	st.h.Reset()
	for _, part := range [][]byte{subject, body} {
		st.h.Write(binary.AppendUvarint(st.buf[:0], uint64(len(part))))
		st.h.Write(part)
	}
	return truncateSum(st.h.Sum(st.buf[:0]))
}

// digest hashes the concatenation of parts.
func digest(parts ...[]byte) Hash {
	st := hashStates.Get().(*hashState)
	defer hashStates.Put(st)
	st.h.Reset()
	for _, p := range parts {
		st.h.Write(p)
	}
	return truncateSum(st.h.Sum(st.buf[:0]))
}

// hashState is a pooled SHA-256 with a scratch buffer.
type hashState struct {
	h   hash.Hash
	buf [4096]byte
}

var hashStates = sync.Pool{New: func() any { return &hashState{h: sha256.New()} }}

func truncateSum(sum []byte) Hash {
	var h Hash
	copy(h[:], sum)
	return h
}

// Action is what an upload must do with a comment, given what was last
// uploaded for its ID.
type Action uint8

const (
	// ActionNone: nothing to do (a deleted record whose comment is kept).
	ActionNone Action = iota
	// ActionCreate: no upload is known; CM bills one unit.
	ActionCreate
	// ActionUpdateText: the message text changed; CM bills one unit.
	ActionUpdateText
	// ActionUpdateMetadata: only metadata changed; not billed.
	ActionUpdateMetadata
	// ActionUnchanged: identical to the last upload; skip it.
	ActionUnchanged
	// ActionDelete: delete the comment.
	ActionDelete
)

var actionNames = [...]string{"none", "create", "update-text", "update-metadata", "unchanged", "delete"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// Billable reports whether CM bills the action (one unit per comment).
func (a Action) Billable() bool { return a == ActionCreate || a == ActionUpdateText }

// Decide compares a mapping result with the hashes of the last upload of
// the same comment ID (known is false when nothing was uploaded).
func Decide(r Result, last Hashes, known bool) Action {
	switch r.Kind {
	case ResultDelete:
		return ActionDelete
	case ResultKeep:
		return ActionNone
	}
	switch {
	case !known:
		return ActionCreate
	case r.Hashes.Content != last.Content:
		return ActionUpdateText
	case r.Hashes.Metadata != last.Metadata:
		return ActionUpdateMetadata
	}
	return ActionUnchanged
}
