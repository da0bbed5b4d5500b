package mapper

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestStringsAreEscapedAsEncodingJSONDecodesThem(t *testing.T) {
	inputs := []string{
		"", "plain", `quote " and backslash \`, "tab\tnewline\ncr\r", "nul\x00 bell\x07 unit\x1f",
		"<b>&amp;</b>", "line sep \u2028 para sep \u2029", "invalid \xff\xfe utf8", "emoji 🚀 ü 東",
		"del \x7f", "truncated rune \xe2\x82",
	}
	for _, in := range inputs {
		enc := appendString(nil, in)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("appendString(%q) = %s is not JSON: %v", in, enc, err)
		}
		var want string
		std, _ := json.Marshal(in)
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Errorf("appendString(%q) decodes to %q, want %q", in, got, want)
		}
	}
}

func TestCommentJSONDecodesToTheSameValues(t *testing.T) {
	c := Comment{
		ID: "sf.Case.1", ThreadID: "sf.2",
		Timestamp: time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC),
		Messages: []Message{{Subject: "s", Body: "b\n\"q\"", From: "a@x", To: []string{"b@y", "c@z"},
			SentAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))}},
		Properties: []Property{
			{Name: "n", Kind: NumberProperty, Number: 1e-7},
			{Name: "big", Kind: NumberProperty, Number: 1e21},
			{Name: "s", Text: "v"},
		},
	}
	var got struct {
		ID        string `json:"id"`
		ThreadID  string `json:"thread_id"`
		Timestamp string `json:"timestamp"`
		Messages  []struct {
			Body    struct{ Text string } `json:"body"`
			Subject struct{ Text string } `json:"subject"`
			From    string                `json:"from"`
			To      []string              `json:"to"`
			SentAt  string                `json:"sent_at"`
		} `json:"messages"`
		Props map[string]any `json:"user_properties"`
	}
	data := c.AppendJSON(nil)
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	m := got.Messages[0]
	if got.ID != c.ID || got.ThreadID != c.ThreadID || got.Timestamp != "2024-05-01T10:00:00.123Z" ||
		m.Body.Text != "b\n\"q\"" || m.Subject.Text != "s" || m.From != "a@x" || len(m.To) != 2 ||
		m.SentAt != "2024-05-01T09:00:00.000Z" {
		t.Errorf("decoded %+v from %s", got, data)
	}
	if got.Props["number:n"] != 1e-7 || got.Props["number:big"] != 1e21 || got.Props["string:s"] != "v" {
		t.Errorf("properties decoded as %v from %s", got.Props, data)
	}
}

func TestNumbersAreWrittenLikeEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -2.5, 1e-7, 1e20, 1e21, 123456789012, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		want, _ := json.Marshal(f)
		if got := appendNumber(nil, f); string(got) != string(want) {
			t.Errorf("appendNumber(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestOnePassCleaningEqualsCleaningThenEscaping(t *testing.T) {
	for _, raw := range []string{"", " \r\n ", "a\"b\\c\nd", "Grüße \"東京\"\r\n\r\n\r\n🚀  x\u2028y", strings.Repeat("abc\\\"\n", 20), "12345678\"12345678"} {
		for _, multi := range []bool{true, false} {
			got, _ := appendCleanJSON(nil, raw, multi)
			if want := appendStringContents(nil, cleanText(raw, multi)); string(got) != string(want) {
				t.Errorf("appendCleanJSON(%q, %v) = %s, want %s", raw, multi, got, want)
			}
		}
	}
}

func TestTimesAreWrittenLikeTheirLayout(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", -3600)), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.UnixMilli(1714557600123),
	} {
		if got, want := string(appendTimeText(nil, tm)), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("appendTimeText(%v) = %s, want %s", tm, got, want)
		}
	}
}
