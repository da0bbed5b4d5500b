package mapper

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Comment decodes the result's JSON back into a Comment (for inspection
// and tests; the JSON is what is sent).
func (r Result) Comment() (Comment, error) {
	var c Comment
	if r.Kind != ResultUpsert {
		return c, fmt.Errorf("decode comment %s: result has no comment (%v)", r.CommentID, r.Kind)
	}
	err := json.Unmarshal(r.JSON, &c)
	return c, err
}

// wireComment mirrors the canonical JSON for decoding.
type wireComment struct {
	ID         string         `json:"id"`
	ThreadID   string         `json:"thread_id"`
	Timestamp  time.Time      `json:"timestamp"`
	Messages   []wireMessage  `json:"messages"`
	Properties map[string]any `json:"user_properties"`
}

type wireMessage struct {
	Body    struct{ Text string } `json:"body"`
	Subject struct{ Text string } `json:"subject"`
	From    string                `json:"from"`
	To      []string              `json:"to"`
	Cc      []string              `json:"cc"`
	SentAt  time.Time             `json:"sent_at"`
}

// UnmarshalJSON reads a comment in CM's sync format.
func (c *Comment) UnmarshalJSON(data []byte) error {
	var w wireComment
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode comment: %w", err)
	}
	*c = Comment{ID: w.ID, ThreadID: w.ThreadID, Timestamp: w.Timestamp.UTC()}
	for _, m := range w.Messages {
		msg := Message{Subject: m.Subject.Text, Body: m.Body.Text, From: m.From, To: m.To, Cc: m.Cc}
		if !m.SentAt.IsZero() {
			msg.SentAt = m.SentAt.UTC()
		}
		c.Messages = append(c.Messages, msg)
	}
	for key, v := range w.Properties {
		p, err := decodeProperty(key, v)
		if err != nil {
			return err
		}
		c.Properties = append(c.Properties, p)
	}
	sortProperties(c.Properties)
	return nil
}

func decodeProperty(key string, v any) (Property, error) {
	if name, ok := strings.CutPrefix(key, numberPrefix); ok {
		if f, isNum := v.(float64); isNum {
			return Property{Name: name, Kind: NumberProperty, Number: f}, nil
		}
	}
	if name, ok := strings.CutPrefix(key, stringPrefix); ok {
		if s, isStr := v.(string); isStr {
			return Property{Name: name, Text: s}, nil
		}
	}
	return Property{}, fmt.Errorf("decode comment: property %q has a type its prefix does not allow", key)
}
