package commsmining

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// syncRequest is the body of POST …/sync.
type syncRequest struct {
	Comments *[]wireComment `json:"comments"`
}

// wireComment is a comment as clients send it (NewComment). Pointers tell
// "absent" from "empty" for required fields.
type wireComment struct {
	ID             *string        `json:"id"`
	Timestamp      *string        `json:"timestamp"`
	ThreadID       *string        `json:"thread_id,omitempty"`
	Messages       []wireMessage  `json:"messages"`
	UserProperties map[string]any `json:"user_properties,omitempty"`
	Attachments    []Attachment   `json:"attachments,omitempty"`
}

type wireMessage struct {
	Body      *wireText `json:"body"`
	Subject   *wireText `json:"subject,omitempty"`
	Signature *wireText `json:"signature,omitempty"`
	From      *string   `json:"from,omitempty"`
	To        []string  `json:"to,omitempty"`
	Cc        []string  `json:"cc,omitempty"`
	Bcc       []string  `json:"bcc,omitempty"`
	SentAt    *string   `json:"sent_at,omitempty"`
	Language  *string   `json:"language,omitempty"`
}

type wireText struct {
	Text           *string `json:"text"`
	TranslatedFrom *string `json:"translated_from,omitempty"`
}

// Attachment is attachment metadata on a comment.
type Attachment struct {
	Name                string  `json:"name"`
	Size                *int64  `json:"size"`
	ContentType         string  `json:"content_type"`
	AttachmentReference *string `json:"attachment_reference,omitempty"`
	ContentHash         *string `json:"content_hash,omitempty"`
}

// decodeSyncRequest decodes a sync body. With strict set, unknown fields
// are errors (a typo in a field name would otherwise be dropped silently);
// otherwise they are ignored, as serde-based APIs do by default. Trailing
// data is always an error.
func decodeSyncRequest(body []byte, strict bool) ([]wireComment, error) {
	var req syncRequest
	var err error
	if strict {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&req); err == nil && dec.More() {
			err = fmt.Errorf("data after the JSON object")
		}
	} else {
		// Unmarshal checks the whole input, trailing data included, and is
		// twice as fast as a Decoder on multi-megabyte batches.
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		return nil, fmt.Errorf("decode sync request: %w", err)
	}
	if req.Comments == nil {
		return nil, fmt.Errorf("decode sync request: missing field comments")
	}
	return *req.Comments, nil
}

// readBody reads a request body of at most limit bytes into one buffer,
// sized from Content-Length when the client sent it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(body)
}

// leanBuffer is what lean mode's sync handler reuses between requests:
// the body and the decoded strings (see decodeSyncRequestLean).
type leanBuffer struct{ body, arena []byte }

var leanBuffers = sync.Pool{New: func() any { return new(leanBuffer) }}

// readBodyInto is readBody reading into *buf, grown as needed; the result
// aliases *buf.
func readBodyInto(w http.ResponseWriter, r *http.Request, limit int64, buf *[]byte) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n > 0 && n <= limit {
		if int64(cap(*buf)) < n {
			*buf = make([]byte, n)
		}
		b := (*buf)[:n]
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b := bytes.NewBuffer((*buf)[:0])
	_, err := b.ReadFrom(body)
	*buf = b.Bytes()[:0]
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// okEnvelope writes CM's success envelope around payload fields.
func okEnvelope(payload map[string]any) map[string]any {
	out := map[string]any{"status": "ok"}
	for k, v := range payload {
		out[k] = v
	}
	return out
}

// errorEnvelope is CM's error body.
type errorEnvelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// outComment is a stored comment as GET answers it (Comment).
type outComment struct {
	ID             string         `json:"id"`
	UID            string         `json:"uid"`
	ThreadID       string         `json:"thread_id,omitempty"`
	Timestamp      string         `json:"timestamp"`
	Messages       []wireMessage  `json:"messages"`
	UserProperties map[string]any `json:"user_properties"`
	Attachments    []Attachment   `json:"attachments"`
	CreatedAt      string         `json:"created_at"`
	HasAnnotations bool           `json:"has_annotations"`
}

// timeFormat is how the simulator writes times: microseconds and an
// explicit offset, as CM's documentation shows them.
const timeFormat = "2006-01-02T15:04:05.000000-07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func (c *Comment) wire(sourceID string) outComment {
	out := outComment{
		ID: c.ID, UID: sourceID + "." + c.ID, ThreadID: c.ThreadID,
		Timestamp: formatTime(c.Timestamp), UserProperties: c.UserProperties,
		Attachments: c.Attachments, CreatedAt: formatTime(c.CreatedAt),
	}
	if out.UserProperties == nil {
		out.UserProperties = map[string]any{}
	}
	if out.Attachments == nil {
		out.Attachments = []Attachment{}
	}
	for _, m := range c.Messages {
		out.Messages = append(out.Messages, m.wire())
	}
	return out
}

func (m *Message) wire() wireMessage {
	w := wireMessage{Body: textOut(m.Body, m.BodyTranslatedFrom), To: m.To, Cc: m.Cc, Bcc: m.Bcc}
	if m.HasSubject {
		w.Subject = textOut(m.Subject, "")
	}
	if m.HasSignature {
		w.Signature = textOut(m.Signature, "")
	}
	if m.From != "" {
		w.From = &m.From
	}
	if !m.SentAt.IsZero() {
		s := formatTime(m.SentAt)
		w.SentAt = &s
	}
	if m.Language != "" {
		w.Language = &m.Language
	}
	return w
}

func textOut(text, translatedFrom string) *wireText {
	t := &wireText{Text: &text}
	if translatedFrom != "" {
		t.TranslatedFrom = &translatedFrom
	}
	return t
}
