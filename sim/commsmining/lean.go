package commsmining

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"time"
)

// Lean mode (Options.Lean): the simulator keeps two 64-bit digests per
// comment instead of the comment, so a benchmark can push hundreds of
// thousands of multi-KB comments through it in a few MB. Sync answers
// (new, updated, unchanged) and the billing meter are the same as in the
// full mode, up to digest collisions (2^-64 per comparison); what is lost
// is reading comments back: Comment, Comments, the get-comment and list
// endpoints see none.

// commentDigest is what lean mode keeps of a comment: a digest of the
// texts CM bills for, and one of the whole content sameContent compares.
type commentDigest struct {
	text, content uint64
}

// leanSeed keys the digests; it only has to be fixed for the process.
var leanSeed = maphash.MakeSeed()

func digestOf(c *Comment) commentDigest {
	var text, all maphash.Hash
	text.SetSeed(leanSeed)
	all.SetSeed(leanSeed)
	str := func(h *maphash.Hash, s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		_, _ = h.Write(n[:])
		_, _ = h.WriteString(s)
	}
	num := func(h *maphash.Hash, v uint64) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], v)
		_, _ = h.Write(n[:])
	}
	tm := func(h *maphash.Hash, t time.Time) { num(h, uint64(t.UnixNano())) }
	flag := func(h *maphash.Hash, b bool) {
		if b {
			num(h, 1)
		} else {
			num(h, 0)
		}
	}
	list := func(h *maphash.Hash, l []string) {
		num(h, uint64(len(l)))
		for _, s := range l {
			str(h, s)
		}
	}
	num(&text, uint64(len(c.Messages)))
	str(&all, c.ThreadID)
	tm(&all, c.Timestamp)
	num(&all, uint64(len(c.Messages)))
	for _, m := range c.Messages {
		str(&text, m.Body)
		str(&text, m.Subject)
		str(&text, m.Signature)
		str(&all, m.Body)
		str(&all, m.BodyTranslatedFrom)
		str(&all, m.Subject)
		flag(&all, m.HasSubject)
		str(&all, m.Signature)
		flag(&all, m.HasSignature)
		str(&all, m.From)
		list(&all, m.To)
		list(&all, m.Cc)
		list(&all, m.Bcc)
		tm(&all, m.SentAt)
		str(&all, m.Language)
	}
	var keyArray [16]string // most comments have a few properties: no allocation
	keys := keyArray[:0]
	for k := range c.UserProperties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	num(&all, uint64(len(keys)))
	for _, k := range keys {
		str(&all, k)
		switch v := c.UserProperties[k].(type) {
		case string:
			num(&all, 's')
			str(&all, v)
		case float64:
			num(&all, 'n')
			num(&all, math.Float64bits(v))
		}
	}
	num(&all, uint64(len(c.Attachments)))
	for _, a := range c.Attachments {
		str(&all, a.Name)
		str(&all, a.ContentType)
		opt := func(p *string) {
			flag(&all, p != nil)
			if p != nil {
				str(&all, *p)
			}
		}
		flag(&all, a.Size != nil)
		if a.Size != nil {
			str(&all, strconv.FormatInt(*a.Size, 10))
		}
		opt(a.AttachmentReference)
		opt(a.ContentHash)
	}
	return commentDigest{text: text.Sum64(), content: all.Sum64()}
}

// upsertLean is upsert for a lean source: same answers and meter, digests
// kept instead of comments.
func (src *Source) upsertLean(batch []Comment, receipt func(id, result string)) upsertResult {
	var r upsertResult
	for i := range batch {
		in := &batch[i]
		d := digestOf(in)
		old, exists := src.digests[in.ID]
		result := "new"
		switch {
		case !exists:
			r.New++
			r.Billable++
		case old.content == d.content:
			r.Unchanged++
			result = "unchanged"
		default:
			r.Updated++
			result = "updated"
			if old.text != d.text {
				r.Billable++
			}
		}
		src.digests[in.ID] = d
		if receipt != nil {
			receipt(in.ID, result)
		}
	}
	return r
}

// has reports whether the source holds a comment (in either mode).
func (src *Source) has(id string) bool {
	if src.digests != nil {
		_, ok := src.digests[id]
		return ok
	}
	_, ok := src.comments[id]
	return ok
}

// remove deletes a comment (in either mode).
func (src *Source) remove(id string) {
	delete(src.digests, id)
	delete(src.comments, id)
}

// Len is how many comments the source holds (in either mode).
func (s *Server) Len(project, source string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[project+"/"+source]
	if !ok {
		return 0
	}
	if src.digests != nil {
		return len(src.digests)
	}
	return len(src.comments)
}
