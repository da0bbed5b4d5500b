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
	b = c.appendHead(b, ownTexts{c})
	return c.appendTail(b)
}

// messageTexts writes the subjects and bodies of a comment's messages as
// JSON string contents. The mapper writes them while cleaning them; a
// Comment built by hand escapes its own fields.
type messageTexts interface {
	appendBody(b []byte, i int) []byte
	// appendSubject reports whether the subject is non-empty; an empty
	// one is omitted.
	appendSubject(b []byte, i int) ([]byte, bool)
}

type ownTexts struct{ c *Comment }

func (t ownTexts) appendBody(b []byte, i int) []byte {
	return appendStringContents(b, t.c.Messages[i].Body)
}

func (t ownTexts) appendSubject(b []byte, i int) ([]byte, bool) {
	s := t.c.Messages[i].Subject
	return appendStringContents(b, s), s != ""
}

// appendHead writes everything up to and including the messages.
func (c *Comment) appendHead(b []byte, texts messageTexts) []byte {
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
		b = c.Messages[i].appendJSON(b, texts, i)
	}
	return append(b, ']')
}

// appendTail writes the user properties and closes the object.
func (c *Comment) appendTail(b []byte) []byte {
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

func (m *Message) appendJSON(b []byte, texts messageTexts, i int) []byte {
	b = append(b, `{"body":{"text":"`...)
	b = texts.appendBody(b, i)
	b = append(b, `"}`...)
	mark := len(b)
	b = append(b, `,"subject":{"text":"`...)
	var nonEmpty bool
	if b, nonEmpty = texts.appendSubject(b, i); nonEmpty {
		b = append(b, `"}`...)
	} else {
		b = b[:mark]
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
	b = appendTimeText(b, t)
	return append(b, '"')
}

// appendTimeText writes t as 2006-01-02T15:04:05.000Z (UTC). It is
// hand-written because time.AppendFormat re-parses its layout on every
// call, which showed in the mapping profile; a test checks it against
// AppendFormat.
func appendTimeText(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, second, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

const timeLayout = "2006-01-02T15:04:05.000Z"

// appendDigits writes n (0 <= n < 10^width) zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:width]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like encoding/json it escapes
// quotes, backslashes, control characters, U+2028 and U+2029, and replaces
// invalid UTF-8 with U+FFFD; unlike it, it leaves <, > and & alone, since
// the output is never embedded in HTML.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringContents(b, s)
	return append(b, '"')
}

// appendStringContents is appendString without the quotes.
func appendStringContents(b []byte, s string) []byte {
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
	return append(b, s[start:]...)
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
