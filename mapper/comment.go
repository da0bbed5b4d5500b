package mapper

import (
	"cmp"
	"slices"
	"time"
)

// Comment is a CM comment as sfcdc sends it to the sync endpoint.
type Comment struct {
	// ID is unique within the CM source; see CommentID.
	ID string
	// ThreadID groups comments into a conversation; empty means none.
	ThreadID string
	// Timestamp is when the communication happened (required by CM).
	Timestamp time.Time
	// Messages holds the communication; the mapper emits exactly one.
	Messages []Message
	// Properties are CM user properties, sorted by Key.
	Properties []Property
}

// Message is one message of a comment.
type Message struct {
	Subject string
	Body    string
	From    string
	To      []string
	Cc      []string
	// SentAt is omitted when zero.
	SentAt time.Time
}

// PropertyKind is the type of a user property, which CM encodes as a key
// prefix.
type PropertyKind uint8

const (
	// StringProperty values are JSON strings ("string:" keys).
	StringProperty PropertyKind = iota
	// NumberProperty values are JSON numbers ("number:" keys).
	NumberProperty
)

const (
	stringPrefix = "string:"
	numberPrefix = "number:"
)

// Property is one user property.
type Property struct {
	Name   string
	Kind   PropertyKind
	Text   string  // the value of a StringProperty
	Number float64 // the value of a NumberProperty
}

// Key is the property's wire key, e.g. "string:Case Number".
func (p Property) Key() string {
	if p.Kind == NumberProperty {
		return numberPrefix + p.Name
	}
	return stringPrefix + p.Name
}

// sortProperties orders properties by wire key, the order encoding/json
// gives map keys, so the canonical JSON matches what a generic encoder of
// the same object would write.
func sortProperties(ps []Property) {
	slices.SortFunc(ps, func(a, b Property) int {
		// Compare as Key() would, without building the strings: "number:"
		// sorts before "string:", then the names.
		if a.Kind != b.Kind {
			if a.Kind == NumberProperty {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// MarshalJSON returns the canonical JSON of the comment.
func (c Comment) MarshalJSON() ([]byte, error) {
	return c.AppendJSON(nil), nil
}
