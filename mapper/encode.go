package mapper

import (
	"strings"
)

// encode writes the canonical JSON of rec's comment and computes its
// hashes. Subjects and bodies are cleaned straight into the JSON buffer.
func (p *objectPlan) encode(rec Record, id, key string) ([]byte, Hashes, error) {
	cm := p.mapping.Comment
	ts, ok := firstTime(rec, cm.Timestamp)
	if !ok {
		return nil, Hashes{}, recordError(rec, strings.Join(cm.Timestamp, ", "), "no timestamp; fetch the record or map timestamp to a datetime field")
	}
	msg := Message{To: splitAddresses(rec.text(cm.To)), Cc: splitAddresses(rec.text(cm.Cc))}
	if from := splitAddresses(rec.text(cm.From)); len(from) > 0 {
		msg.From = from[0]
	}
	if cm.SentAt != "" {
		msg.SentAt, _ = valueTime(rec.lookup(cm.SentAt))
	}
	// meta is the comment without its texts: what the metadata hash covers.
	meta := Comment{ID: id, Timestamp: ts, Messages: []Message{msg}}
	if cm.ThreadID != "" {
		if t := cleanText(rec.text(cm.ThreadID), false); t != "" {
			meta.ThreadID = ThreadID(t)
		}
	}
	texts := &recordTexts{plan: p, rec: rec}
	b := meta.appendHead(make([]byte, 0, p.sizeHint(rec)), texts)
	meta.Properties = p.propertiesOf(rec, key, texts.truncated)
	b = meta.appendTail(b)
	return b, texts.hashes(b), nil
}

// sizeHint guesses the JSON size so the buffer is allocated once.
func (p *objectPlan) sizeHint(rec Record) int {
	n := 512 + len(rec.text(p.mapping.Comment.Subject))
	if len(p.mapping.Comment.Body) > 0 {
		n += len(rec.text(p.mapping.Comment.Body[0]))
	}
	return n + n/16 // room for escapes
}

// recordTexts writes a record's subject and body into the JSON as they
// are cleaned, noting where they landed (for the content hash) and which
// were cut.
type recordTexts struct {
	plan          *objectPlan
	rec           Record
	subject, body [2]int // spans of the escaped texts in the JSON
	truncated     []string
}

// appendBody writes the first body field with visible text.
func (t *recordTexts) appendBody(b []byte, _ int) []byte {
	start := len(b)
	for _, f := range t.plan.mapping.Comment.Body {
		var written bool
		if b, written = t.appendField(b, f, true, "body"); written {
			break
		}
	}
	t.body = [2]int{start, len(b)}
	return b
}

func (t *recordTexts) appendSubject(b []byte, _ int) ([]byte, bool) {
	start := len(b)
	b, written := t.appendField(b, t.plan.mapping.Comment.Subject, false, "subject")
	if written {
		t.subject = [2]int{start, len(b)}
	} // else the caller removes the subject key: no span
	return b, written
}

// hashes digests the finished JSON: the content hash covers the escaped
// texts, the metadata hash everything around them.
func (t *recordTexts) hashes(b []byte) Hashes {
	subject, body := b[t.subject[0]:t.subject[1]], b[t.body[0]:t.body[1]]
	around := [][]byte{b[:t.body[0]], b[t.body[1]:]}
	if len(subject) > 0 {
		around = [][]byte{b[:t.body[0]], b[t.body[1]:t.subject[0]], b[t.subject[1]:]}
	}
	return Hashes{Content: contentHash(subject, body), Metadata: digest(around...)}
}

// appendField writes one field's cleaned text. Plain text that cannot
// exceed CM's limit takes the one-pass path; HTML and long text are cleaned
// first and cut at a boundary.
func (t *recordTexts) appendField(b []byte, field string, multiline bool, part string) ([]byte, bool) {
	if field == "" {
		return b, false
	}
	raw := t.rec.text(field)
	if !t.plan.html[field] && len(raw) <= MaxTextChars { // cleaning never lengthens text
		return appendCleanJSON(b, raw, multiline)
	}
	text, cut := truncate(t.plan.fieldText(t.rec, field, multiline), MaxTextChars)
	if text == "" {
		return b, false
	}
	if cut {
		t.truncated = append(t.truncated, part)
	}
	return appendStringContents(b, text), true
}

// fieldText reads a field as cleaned text, converting HTML fields.
func (p *objectPlan) fieldText(rec Record, field string, multiline bool) string {
	raw := rec.text(field)
	if !p.html[field] {
		return cleanText(raw, multiline)
	}
	text := htmlToText(raw)
	if !multiline {
		return cleanText(text, false)
	}
	return text
}
