package commsmining

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits from CM's API schema (see the package documentation).
const (
	maxTextChars    = 65536
	maxMessages     = 2048
	maxAddressChars = 512
	maxAddresses    = 2048
	maxAttachments  = 128
	maxAttachName   = 256
	maxIDChars      = 1024
	maxLanguage     = 8
)

// validCommentID implements CM's comment-ID pattern
// ^[\w\x21-\x2e\x3a-\x40\x5b-\x60\x7b-\x7e]{1,1024}$. With ASCII \w the
// class is exactly the printable ASCII characters 0x21-0x7E except "/":
// no whitespace, no slash, nothing else.
func validCommentID(id string) bool {
	if len(id) == 0 || len(id) > maxIDChars {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e || c == '/' {
			return false
		}
	}
	return true
}

// validationError names the offending comment and field.
type validationError struct {
	index int
	id    string
	msg   string
}

func (e *validationError) Error() string {
	if e.id != "" {
		return fmt.Sprintf("comments[%d] (id %q): %s", e.index, e.id, e.msg)
	}
	return fmt.Sprintf("comments[%d]: %s", e.index, e.msg)
}

// validateBatch checks a whole batch and converts it. The first invalid
// comment rejects the batch, as CM does (nothing is stored).
func validateBatch(in []wireComment, maxBatch int) ([]Comment, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("comments: at least one comment is required")
	}
	if len(in) > maxBatch {
		return nil, fmt.Errorf("comments: %d comments exceed the limit of %d per request", len(in), maxBatch)
	}
	out := make([]Comment, len(in))
	seen := make(map[string]int, len(in))
	for i := range in {
		c, err := validateComment(&in[i])
		if err != nil {
			return nil, &validationError{index: i, id: c.ID, msg: err.Error()}
		}
		if prev, dup := seen[c.ID]; dup {
			return nil, &validationError{index: i, id: c.ID, msg: fmt.Sprintf("duplicate id (also comments[%d])", prev)}
		}
		seen[c.ID] = i
		out[i] = c
	}
	return out, nil
}

func validateComment(w *wireComment) (Comment, error) {
	var c Comment
	if w.ID == nil {
		return c, fmt.Errorf("id: required")
	}
	c.ID = *w.ID
	if !validCommentID(c.ID) {
		return c, fmt.Errorf("id: must be 1-%d characters of letters, digits and punctuation, without whitespace or '/'", maxIDChars)
	}
	if w.Timestamp == nil {
		return c, fmt.Errorf("timestamp: required")
	}
	ts, err := parseTime(*w.Timestamp)
	if err != nil {
		return c, fmt.Errorf("timestamp: %w", err)
	}
	c.Timestamp = ts
	if w.ThreadID != nil {
		c.ThreadID = *w.ThreadID
	}
	if c.Messages, err = validateMessages(w.Messages); err != nil {
		return c, err
	}
	if c.UserProperties, err = validateProperties(w.UserProperties); err != nil {
		return c, err
	}
	if c.Attachments, err = validateAttachments(w.Attachments); err != nil {
		return c, err
	}
	return c, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return t.UTC(), nil
}

func validateMessages(in []wireMessage) ([]Message, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("messages: at least one message is required")
	}
	if len(in) > maxMessages {
		return nil, fmt.Errorf("messages: %d messages exceed the limit of %d", len(in), maxMessages)
	}
	out := make([]Message, len(in))
	for i := range in {
		m, err := validateMessage(&in[i])
		if err != nil {
			return nil, fmt.Errorf("messages[%d].%w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

func validateMessage(w *wireMessage) (Message, error) {
	var m Message
	if w.Body == nil || w.Body.Text == nil {
		return m, fmt.Errorf("body.text: required")
	}
	var err error
	if m.Body, err = checkText("body", w.Body.Text); err != nil {
		return m, err
	}
	m.BodyTranslatedFrom = deref(w.Body.TranslatedFrom)
	if w.Subject != nil {
		m.HasSubject = true
		if m.Subject, err = checkText("subject", w.Subject.Text); err != nil {
			return m, err
		}
	}
	if w.Signature != nil {
		m.HasSignature = true
		if m.Signature, err = checkText("signature", w.Signature.Text); err != nil {
			return m, err
		}
	}
	if w.From != nil {
		if n := utf8.RuneCountInString(*w.From); n < 1 || n > maxAddressChars {
			return m, fmt.Errorf("from: must be 1-%d characters", maxAddressChars)
		}
		m.From = *w.From
	}
	for _, l := range [...]struct {
		name string
		list []string
	}{{"to", w.To}, {"cc", w.Cc}, {"bcc", w.Bcc}} {
		if err := checkAddresses(l.name, l.list); err != nil {
			return m, err
		}
	}
	m.To, m.Cc, m.Bcc = w.To, w.Cc, w.Bcc
	if w.SentAt != nil {
		if m.SentAt, err = parseTime(*w.SentAt); err != nil {
			return m, fmt.Errorf("sent_at: %w", err)
		}
	}
	if w.Language != nil {
		if n := len(*w.Language); n < 1 || n > maxLanguage {
			return m, fmt.Errorf("language: must be 1-%d characters", maxLanguage)
		}
		m.Language = *w.Language
	}
	return m, nil
}

func checkText(field string, text *string) (string, error) {
	if text == nil {
		return "", fmt.Errorf("%s.text: required", field)
	}
	if len(*text) > maxTextChars && utf8.RuneCountInString(*text) > maxTextChars {
		return "", fmt.Errorf("%s.text: longer than %d characters", field, maxTextChars)
	}
	return *text, nil
}

func checkAddresses(field string, list []string) error {
	if len(list) > maxAddresses {
		return fmt.Errorf("%s: %d addresses exceed the limit of %d", field, len(list), maxAddresses)
	}
	for i, a := range list {
		if n := utf8.RuneCountInString(a); n < 1 || n > maxAddressChars {
			return fmt.Errorf("%s[%d]: must be 1-%d characters", field, i, maxAddressChars)
		}
	}
	return nil
}

func validateProperties(in map[string]any) (map[string]any, error) {
	for key, v := range in {
		kind, name, ok := strings.Cut(key, ":")
		if !ok || name == "" || (kind != "string" && kind != "number") {
			return nil, fmt.Errorf("user_properties: key %q has invalid type prefix; use string:<name> or number:<name>", key)
		}
		switch val := v.(type) {
		case string:
			if kind != "string" {
				return nil, fmt.Errorf("user_properties: %q holds a string; number properties hold numbers", key)
			}
			if strings.TrimSpace(val) == "" {
				return nil, fmt.Errorf("user_properties: %q is empty; omit empty properties", key)
			}
		case float64:
			if kind != "number" {
				return nil, fmt.Errorf("user_properties: %q holds a number; string properties hold strings", key)
			}
		default:
			return nil, fmt.Errorf("user_properties: %q must hold a %s", key, kind)
		}
	}
	return in, nil
}

func validateAttachments(in []Attachment) ([]Attachment, error) {
	if len(in) > maxAttachments {
		return nil, fmt.Errorf("attachments: %d attachments exceed the limit of %d", len(in), maxAttachments)
	}
	for i, a := range in {
		switch {
		case utf8.RuneCountInString(a.Name) > maxAttachName:
			return nil, fmt.Errorf("attachments[%d].name: longer than %d characters", i, maxAttachName)
		case utf8.RuneCountInString(a.ContentType) > maxAttachName:
			return nil, fmt.Errorf("attachments[%d].content_type: longer than %d characters", i, maxAttachName)
		case a.Size == nil || *a.Size < 0:
			return nil, fmt.Errorf("attachments[%d].size: required, at least 0", i)
		}
	}
	return in, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
