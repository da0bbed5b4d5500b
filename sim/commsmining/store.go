package commsmining

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"slices"
	"time"
)

// Comment is a stored comment.
type Comment struct {
	ID             string
	ThreadID       string
	Timestamp      time.Time
	Messages       []Message
	UserProperties map[string]any // string or float64 values
	Attachments    []Attachment
	// CreatedAt is when the comment was first stored (CM's created_at).
	CreatedAt time.Time
	// UpdatedAt is the last time a sync changed it.
	UpdatedAt time.Time
	// LastSyncedAt is the last time a sync carried it, changed or not.
	LastSyncedAt time.Time
}

// Message is one stored message.
type Message struct {
	Body               string
	BodyTranslatedFrom string
	Subject            string
	HasSubject         bool
	Signature          string
	HasSignature       bool
	From               string
	To, Cc, Bcc        []string
	SentAt             time.Time
	Language           string
}

// Source is a CM source.
type Source struct {
	ID        string
	Project   string
	Name      string
	Title     string
	CreatedAt time.Time
	comments  map[string]*Comment
	digests   map[string]commentDigest // lean mode only (Options.Lean)
	stats     SourceStats              // under the Server's lock
	quota     int                      // comments_per_source; 0: none (SetSourceQuota)
}

// Receipt records one comment arriving in an accepted sync request.
type Receipt struct {
	Project, Source, CommentID string
	At                         time.Time
	Result                     string // "new", "updated" or "unchanged"
}

func newSource(project, name string, now time.Time) *Source {
	sum := sha256.Sum256([]byte(project + "/" + name))
	return &Source{ID: hex.EncodeToString(sum[:8]), Project: project, Name: name, Title: name,
		CreatedAt: now, comments: map[string]*Comment{}}
}

// upsertResult counts what one sync did.
type upsertResult struct {
	New, Updated, Unchanged, Billable int
}

// upsert stores a validated batch. A comment whose content equals the
// stored one is unchanged; otherwise it is updated, and billed only when
// its message text changed (CM: one unit per created comment, or per
// updated comment if its text was modified).
func (src *Source) upsert(batch []Comment, now time.Time, receipt func(id, result string)) upsertResult {
	if src.digests != nil {
		return src.upsertLean(batch, receipt)
	}
	var r upsertResult
	for i := range batch {
		in := batch[i]
		old, exists := src.comments[in.ID]
		result := "new"
		switch {
		case !exists:
			r.New++
			r.Billable++
			in.CreatedAt, in.UpdatedAt = now, now
		case sameContent(old, &in):
			r.Unchanged++
			result = "unchanged"
			in = *old
		default:
			r.Updated++
			result = "updated"
			if !sameText(old.Messages, in.Messages) {
				r.Billable++
			}
			in.CreatedAt, in.UpdatedAt = old.CreatedAt, now
		}
		in.LastSyncedAt = now
		src.comments[in.ID] = &in
		if receipt != nil {
			receipt(in.ID, result)
		}
	}
	return r
}

func sameContent(old, in *Comment) bool {
	return old.ThreadID == in.ThreadID && old.Timestamp.Equal(in.Timestamp) &&
		reflect.DeepEqual(old.Messages, in.Messages) &&
		reflect.DeepEqual(nonNilMap(old.UserProperties), nonNilMap(in.UserProperties)) &&
		reflect.DeepEqual(old.Attachments, in.Attachments)
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// sameText compares what CM bills for: the texts of the messages.
func sameText(a, b []Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Body != b[i].Body || a[i].Subject != b[i].Subject || a[i].Signature != b[i].Signature {
			return false
		}
	}
	return true
}

// sortedComments returns the source's comments ordered by timestamp, then
// ID, the order CM pages them in.
func (src *Source) sortedComments() []*Comment {
	out := make([]*Comment, 0, len(src.comments))
	for _, c := range src.comments {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Comment) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
