package mapper

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"<p>a</p>", "<script>x", "<<>>&&;", "<pre>\r\n</pre>", "&#0;&#xD800;&#99999999;", "<svg/><style/>x",
		"<table><tr><td>a<td>b</table>", "\x00<\xff>", "<li><li><li>", "<title>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s)
		checkCleanOutput(t, out, true)
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"a \r\n b", "\u2028\u00a0\ufeff", "\xff\xfe", "a\n\n\n\nb", " \t"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		out := cleanText(s, multiline)
		checkCleanOutput(t, out, multiline)
		if again := cleanText(out, multiline); again != out {
			t.Fatalf("cleaning is not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}

func checkCleanOutput(t *testing.T, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	if strings.ContainsAny(out, "\r\t\x00\u200b\ufeff") || strings.Contains(out, "\n\n\n") {
		t.Fatalf("output keeps invisible characters or blank-line runs: %q", out)
	}
	if !multiline && strings.Contains(out, "\n") {
		t.Fatalf("single-line output has a line break: %q", out)
	}
	if strings.TrimSpace(out) != out {
		t.Fatalf("output has surrounding whitespace: %q", out)
	}
}

func FuzzMap(f *testing.F) {
	f.Add("02s000000000001AAA", "Subject", "Body", "<p>html</p>", "a@x;b@y", "2024-05-01T10:00:00Z", int64(1714557600000), 1.5, true)
	f.Add("a b/c", "", "", "", ",,;", "", int64(-1), math.Copysign(0, -1), false)
	m := mustMapper(f,
		ObjectMapping{Object: "EmailMessage", Comment: CommentMapping{Properties: map[string]string{
			"Case Number": "Parent.CaseNumber", "Score": "Score__c", "Forced": "number:Subject"}}},
	)
	f.Fuzz(func(t *testing.T, id, subject, text, html, to, date string, ms int64, score float64, nested bool) {
		fields := map[string]any{
			"Subject": subject, "TextBody": text, "HtmlBody": html, "ToAddress": to, "CcAddress": to,
			"FromAddress": to, "MessageDate": date, "CreatedDate": ms, "ParentId": id, "Score__c": score,
		}
		if nested {
			fields["Parent"] = map[string]any{"CaseNumber": subject}
		} else {
			fields["Parent.CaseNumber"] = text
		}
		res, err := m.Map(Record{Object: "EmailMessage", ID: id, Fields: fields})
		if err != nil {
			return // a typed error for this record is a valid outcome
		}
		if !json.Valid(res.JSON) {
			t.Fatalf("invalid JSON: %s", res.JSON)
		}
		if !cmIDPattern.MatchString(res.CommentID) {
			t.Fatalf("invalid comment ID %q", res.CommentID)
		}
		c, err := res.Comment()
		if err != nil {
			t.Fatalf("decode own JSON: %v", err)
		}
		for _, msg := range c.Messages {
			if utf8.RuneCountInString(msg.Body) > MaxTextChars || utf8.RuneCountInString(msg.Subject) > MaxTextChars {
				t.Fatal("text over CM's limit")
			}
		}
		again, _ := m.Map(Record{Object: "EmailMessage", ID: id, Fields: fields})
		if string(again.JSON) != string(res.JSON) {
			t.Fatal("mapping is not deterministic")
		}
	})
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("plain", 1.0)
	f.Add("\x00\"\\\u2028\xff", -1e300)
	f.Fuzz(func(t *testing.T, s string, n float64) {
		c := Comment{ID: s, ThreadID: s, Messages: []Message{{Subject: s, Body: s, From: s, To: []string{s}}},
			Properties: []Property{{Name: s, Text: s}, {Name: s, Kind: NumberProperty, Number: n}}}
		data := c.AppendJSON(nil)
		if !json.Valid(data) {
			t.Fatalf("invalid JSON for %q: %s", s, data)
		}
	})
}

func FuzzCleanJSONMatchesCleanThenEscape(f *testing.F) {
	f.Add("a\"b\\c\r\nd Grüße \u2028 x", true)
	f.Fuzz(func(t *testing.T, raw string, multiline bool) {
		got, written := appendCleanJSON([]byte("prefix"), raw, multiline)
		want := appendStringContents([]byte("prefix"), cleanText(raw, multiline))
		if string(got) != string(want) || written != (len(want) > len("prefix")) {
			t.Fatalf("one-pass %q (%v), two-pass %q", got, written, want)
		}
	})
}
