package replay

import (
	"encoding/binary"

	"github.com/sfcdc/sfcdc/quote"
)

// Hashes are the two digests of a comment as last uploaded to
// Communications Mining. The store treats them as opaque bytes (any length
// up to 255, binary-safe); the uploader compares them with the digests of
// the comment it is about to send: equal Content means no billable change,
// equal Metadata too means nothing to send at all.
//
// OrgHashes converts them to and from mapper.Hashes for the uploader.
type Hashes struct {
	// Content digests the message text CM bills for (subjects, bodies).
	Content string
	// Metadata digests everything else of the comment.
	Metadata string
}

// maxHashBytes bounds each digest so a batch stays small (a 16-byte digest
// pair costs 34 bytes per comment).
const maxHashBytes = 255

// hashesVersion starts every stored hash pair.
const hashesVersion = 1

// encodeHashes stores h as a version byte, Content's length and bytes, then
// Metadata's bytes.
func encodeHashes(h Hashes) []byte {
	out := make([]byte, 0, 2+len(h.Content)+len(h.Metadata))
	out = append(out, hashesVersion)
	out = binary.AppendUvarint(out, uint64(len(h.Content)))
	out = append(out, h.Content...)
	return append(out, h.Metadata...)
}

// decodeHashes reverses encodeHashes.
func decodeHashes(b []byte) (Hashes, error) {
	if len(b) < 2 || b[0] != hashesVersion {
		return Hashes{}, corruptf("hashes: unknown encoding")
	}
	n, size := binary.Uvarint(b[1:])
	if size <= 0 || n > uint64(len(b)-1-size) || n > maxHashBytes {
		return Hashes{}, corruptf("hashes: bad content length")
	}
	start := 1 + size
	end := start + int(n)
	if len(b)-end > maxHashBytes {
		return Hashes{}, corruptf("hashes: metadata too long")
	}
	return Hashes{Content: string(b[start:end]), Metadata: string(b[end:])}, nil
}

func checkHashBatch(org string, batch map[string]Hashes) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	for id, h := range batch {
		if err := checkCommentID(id); err != nil {
			return err
		}
		if len(h.Content) > maxHashBytes || len(h.Metadata) > maxHashBytes {
			return invalidf("hashes of comment %s: a digest exceeds %d bytes", quote.Value(id), maxHashBytes)
		}
	}
	return nil
}

func checkCommentIDs(org string, ids []string) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	for _, id := range ids {
		if err := checkCommentID(id); err != nil {
			return err
		}
	}
	return nil
}

// checkCommentID is lighter than checkName: it runs for thousands of IDs
// per batch, and an ID only needs to be a non-empty key.
func checkCommentID(id string) error {
	if id == "" || len(id) > MaxNameBytes {
		return invalidf("comment ID: want 1 to %d bytes, got %d", MaxNameBytes, len(id))
	}
	return nil
}
