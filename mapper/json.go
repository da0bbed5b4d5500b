package mapper

import (
	"time"
	"unicode/utf8"
)

// AppendJSON appends the comment's canonical JSON to b: fixed key order,
// properties sorted by key, empty optional parts omitted, times in one
// format. Equal comments give equal bytes, which CM needs to answer
// "unchanged" and to keep assigned entities.
//
// It is hand-written because encoding/json spends most of the mapping
// budget on reflection and HTML escaping of multi-kilobyte bodies; tests
// check that encoding/json decodes the output back to the same values.
func (c *Comment) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, c.ID)
	if c.ThreadID != "" {
		b = append(b, `,"thread_id":`...)
		b = appendString(b, c.ThreadID)
	}
	b = append(b, `,"timestamp":`...)
	b = appendTime(b, c.Timestamp)
	b = append(b, `,"messages":[`...)
	for i := range c.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.Messages[i].appendJSON(b, c.cleaned)
	}
	b = append(b, ']')
	if len(c.Properties) > 0 {
		b = append(b, `,"user_properties":{`...)
		for i, p := range c.Properties {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.appendJSON(b)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (m *Message) appendJSON(b []byte, cleaned bool) []byte {
	text := appendString
	if cleaned {
		text = appendCleanString
	}
	b = append(b, `{"body":{"text":`...)
	b = text(b, m.Body)
	b = append(b, '}')
	if m.Subject != "" {
		b = append(b, `,"subject":{"text":`...)
		b = text(b, m.Subject)
		b = append(b, '}')
	}
	if m.From != "" {
		b = append(b, `,"from":`...)
		b = appendString(b, m.From)
	}
	b = appendStrings(b, `,"to":`, m.To)
	b = appendStrings(b, `,"cc":`, m.Cc)
	if !m.SentAt.IsZero() {
		b = append(b, `,"sent_at":`...)
		b = appendTime(b, m.SentAt)
	}
	return append(b, '}')
}

func (p Property) appendJSON(b []byte) []byte {
	b = appendString(b, p.Key())
	b = append(b, ':')
	if p.Kind == NumberProperty {
		return appendNumber(b, p.Number)
	}
	return appendString(b, p.Text)
}

func appendStrings(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like encoding/json it escapes
// quotes, backslashes, control characters, U+2028 and U+2029, and replaces
// invalid UTF-8 with U+FFFD; unlike it, it leaves <, > and & alone, since
// the output is never embedded in HTML.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			if x := load64(s, i); !hasLess(x, 0x20) && x&msbs == 0 && !hasByte(x, '"') && !hasByte(x, '\\') {
				i += 8 // eight bytes that need no escaping
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
			}
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCleanString is appendString for text the cleaner produced: valid
// UTF-8 whose only control character is the line feed and which holds no
// U+2028 or U+2029. Only '"', '\\' and '\n' need escaping, so multi-byte
// characters stay on the word-at-a-time path, which matters for accented
// and non-Latin text.
func appendCleanString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if i+8 <= len(s) {
			if x := load64(s, i); !hasByte(x, '"') && !hasByte(x, '\\') && !hasByte(x, '\n') {
				i += 7 // the loop adds the eighth
				continue
			}
		}
		if c := s[i]; c == '"' || c == '\\' || c == '\n' {
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
