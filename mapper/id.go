package mapper

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxIDChars is CM's limit on a comment ID.
const maxIDChars = 1024

// idPrefix marks IDs sfcdc made, so they never clash with comments other
// tools put in the same source.
const idPrefix = "sf."

// CommentID returns the CM comment ID of a record: "sf.<Object>.<RecordID>",
// e.g. sf.EmailMessage.02s5e000001AbCdEAK. Characters outside
// [A-Za-z0-9_-] are escaped as "~xx" (hex), so the ID never holds
// whitespace or "/" and distinct inputs give distinct IDs. An ID that would
// exceed CM's 1,024 characters is shortened to a SHA-256 of the record ID.
func CommentID(object, recordID string) string {
	return boundedID(idPrefix+escapeID(object)+".", recordID)
}

// ThreadID returns the CM thread ID for a thread key such as a Case ID:
// "sf.<key>". A Case's own comment (thread Id) and its emails and comments
// (thread ParentId) therefore share one thread.
func ThreadID(key string) string {
	return boundedID(idPrefix, key)
}

func boundedID(prefix, key string) string {
	id := prefix + escapeID(key)
	if len(id) <= maxIDChars {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + "sha256-" + hex.EncodeToString(sum[:])
}

// escapeID keeps [A-Za-z0-9_-] and escapes every other byte as ~xx, so the
// result is plain ASCII that CM's ID pattern accepts. Salesforce IDs pass
// through unchanged.
func escapeID(s string) string {
	if isPlainID(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isIDByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

func isPlainID(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDByte(s[i]) {
			return false
		}
	}
	return true
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
