package pubsub

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// EventLine is an event as `sfcdc subscribe` prints it, one JSON object a
// line; its keys are stable. Header (absent for a platform event) expands
// the field lists, empty ones as [], never null.
type EventLine struct {
	Topic    string         `json:"topic"`
	ReplayID string         `json:"replay_id"` // hex
	SchemaID string         `json:"schema_id"`
	Header   *HeaderJSON    `json:"header,omitempty"`
	Fields   map[string]any `json:"fields"`
}

// HeaderJSON is a ChangeEventHeader under Salesforce's own field names;
// CommitTimestamp is in Unix milliseconds, as Salesforce sends it.
type HeaderJSON struct {
	EntityName      string   `json:"entityName"`
	RecordIDs       []string `json:"recordIds"`
	ChangeType      string   `json:"changeType"`
	ChangeOrigin    string   `json:"changeOrigin"`
	TransactionKey  string   `json:"transactionKey"`
	SequenceNumber  int32    `json:"sequenceNumber"`
	CommitTimestamp int64    `json:"commitTimestamp"`
	CommitNumber    int64    `json:"commitNumber"`
	CommitUser      string   `json:"commitUser"`
	NulledFields    []string `json:"nulledFields"`
	DiffFields      []string `json:"diffFields"`
	ChangedFields   []string `json:"changedFields"`
}

// NewEventLine is ev's printed form.
func NewEventLine(ev *Event) EventLine {
	line := EventLine{Topic: ev.Topic, ReplayID: hex.EncodeToString(ev.ReplayID), SchemaID: ev.SchemaID, Fields: ev.Fields}
	if h := ev.Header; h != nil {
		line.Header = &HeaderJSON{
			EntityName: h.EntityName, RecordIDs: h.RecordIDs, ChangeType: h.ChangeType, ChangeOrigin: h.ChangeOrigin,
			TransactionKey: h.TransactionKey, SequenceNumber: h.SequenceNumber, CommitTimestamp: h.CommitTimestamp.UnixMilli(),
			CommitNumber: h.CommitNumber, CommitUser: h.CommitUser,
			NulledFields: orEmpty(h.NulledFields), DiffFields: orEmpty(h.DiffFields), ChangedFields: orEmpty(h.ChangedFields),
		}
	}
	return line
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ParseStart reads where a subscription starts, as `sfcdc subscribe
// --from` takes it: latest (also empty) or earliest, in any case, or a
// replay ID in hex (with or without 0x), delivery starting after it.
func ParseStart(from string) (Start, error) {
	switch strings.ToLower(from) {
	case "latest", "":
		return Start{Preset: Latest}, nil
	case "earliest":
		return Start{Preset: Earliest}, nil
	}
	id, err := hex.DecodeString(strings.TrimPrefix(from, "0x"))
	if err != nil || len(id) == 0 {
		return Start{}, fmt.Errorf("start %s: want latest, earliest or a replay ID in hex", quote.Value(from))
	}
	return After(id), nil
}

// WriteEvents prints sub's events to w as EventLines, one JSON object a
// line, releasing each, until limit events are printed (0: no limit) or
// the subscription ends; an undecodable event is named on errw and
// skipped. It stops sub and returns its terminal error (nil after the
// limit).
func WriteEvents(w, errw io.Writer, sub *Subscription, limit int) error {
	defer sub.Stop()
	out := json.NewEncoder(w)
	out.SetEscapeHTML(false)
	printed := 0
	for m := range sub.Messages() {
		switch {
		case m.Poison != nil:
			fmt.Fprintf(errw, "skipped undecodable event %x: %v\n", m.Poison.ReplayID, m.Poison)
		case m.Event != nil:
			if err := out.Encode(NewEventLine(m.Event)); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
			printed++
		}
		sub.Release(m)
		if limit > 0 && printed >= limit {
			return nil
		}
	}
	return sub.Err()
}
