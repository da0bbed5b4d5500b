package mapper

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextChars is CM's limit on a message body, subject or signature, in
// characters.
const MaxTextChars = 65536

// maxAddressChars is CM's limit on one address.
const maxAddressChars = 512

// maxAddresses is CM's limit on addresses in one list.
const maxAddresses = 2048

// cleanText normalises whitespace and removes what a reader cannot see:
// CR LF and lone CR become LF; runs of spaces, tabs and other Unicode
// spaces become one space; trailing spaces on a line go; more than one blank
// line becomes one; leading and trailing whitespace goes; control and
// format characters and invalid UTF-8 are dropped. With multiline false,
// line breaks become spaces too.
func cleanText(s string, multiline bool) string {
	if isClean(s) {
		return s // most short fields (IDs, addresses, picklists) need nothing
	}
	c := cleaner{out: make([]byte, 0, len(s)), multiline: multiline} // cleaning never lengthens text
	c.run(s)
	return string(c.out)
}

// appendCleanJSON appends the cleaned text of s to b as the contents of a
// JSON string (without quotes): cleaning and escaping in one pass, with no
// intermediate string, which is most of what mapping an email costs. It
// reports whether any text was written.
func appendCleanJSON(b []byte, s string, multiline bool) ([]byte, bool) {
	c := cleaner{out: b, start: len(b), multiline: multiline, escape: true}
	c.run(s)
	return c.out, len(c.out) > c.start
}

// isClean reports whether s is visible ASCII with single inner spaces,
// which cleaning leaves as it is.
func isClean(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < ' ' || b >= 0x7f || (b == ' ' && s[i-1] == ' ') {
			return false
		}
	}
	return true
}

type cleaner struct {
	out       []byte
	start     int // where this text begins in out
	multiline bool
	escape    bool // write JSON string contents
	space     bool // a space is pending before the next visible character
	newlines  int  // line breaks pending before the next visible character
}

func (c *cleaner) run(s string) {
	for i := 0; i < len(s); {
		if end := c.copyVisible(s, i); end > i {
			i = end
			continue
		}
		if b := s[i]; b < utf8.RuneSelf {
			c.ascii(s, i)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		c.rune(r, size)
		i += size
	}
}

func (c *cleaner) ascii(s string, i int) {
	switch s[i] {
	case ' ', '\t':
		c.space = true
	case '\r':
		if i+1 < len(s) && s[i+1] == '\n' {
			return // the LF that follows counts
		}
		c.lineBreak()
	case '\n', '\v', '\f':
		c.lineBreak()
	}
	// Other C0 controls and DEL are dropped.
}

func (c *cleaner) rune(r rune, size int) {
	switch {
	case r == utf8.RuneError && size == 1:
		// invalid UTF-8: dropped
	case r == '\u2028' || r == '\u2029' || r == '\u0085':
		c.lineBreak()
	case unicode.IsSpace(r):
		c.space = true
	case invisible(r):
		// C1 controls, zero-width and bidi format characters, BOM: dropped
	default:
		c.flush()
		c.out = utf8.AppendRune(c.out, r) // visible runes need no escaping
	}
}

func (c *cleaner) lineBreak() {
	if !c.multiline {
		c.space = true
		return
	}
	c.newlines++
}

// flush writes pending whitespace before a visible character. Nothing is
// written at the start, so leading whitespace disappears; what is pending
// at the end is never written, so trailing whitespace disappears.
func (c *cleaner) flush() {
	if len(c.out) > c.start {
		switch {
		case c.newlines >= 2:
			c.newline()
			c.newline()
		case c.newlines == 1:
			c.newline()
		case c.space:
			c.out = append(c.out, ' ')
		}
	}
	c.space, c.newlines = false, 0
}

func (c *cleaner) newline() {
	if c.escape {
		c.out = append(c.out, '\\', 'n')
		return
	}
	c.out = append(c.out, '\n')
}

// truncate cuts s to at most limit characters. It prefers the last line
// break in the final 2,048 characters, then the last space in the final
// 256, then any character boundary, so a cut rarely splits a word.
func truncate(s string, limit int) (string, bool) {
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s, false
	}
	end := byteOffsetOfRune(s, limit)
	head := s[:end]
	if cut := boundary(head, "\n", 2048); cut > 0 {
		head = head[:cut]
	} else if cut := boundary(head, " ", 256); cut > 0 {
		head = head[:cut]
	}
	return strings.TrimRight(head, " \n"), true
}

// byteOffsetOfRune returns the byte offset at which the n-th rune starts.
func byteOffsetOfRune(s string, n int) int {
	count := 0
	for i := range s {
		if count == n {
			return i
		}
		count++
	}
	return len(s)
}

// boundary returns the index of the last sep within the final window
// characters of s (approximated in bytes, which only narrows the window for
// non-ASCII text), or -1.
func boundary(s, sep string, window int) int {
	from := max(len(s)-window, 0)
	i := strings.LastIndex(s[from:], sep)
	if i < 0 {
		return -1
	}
	return from + i
}

// splitAddresses splits an address list on ";" and ",", cleans each
// address, and drops empty ones and ones longer than CM accepts. Order is
// kept: CM discards a comment's entities when its messages change, so the
// same input must give the same list.
func splitAddresses(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	// A plain loop rather than strings.FieldsFuncSeq, whose iterator and
	// closure were two allocations per address field.
	for rest := s; rest != ""; {
		part := rest
		if i := strings.IndexAny(rest, ";,"); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if part == "" {
			continue
		}
		addr := cleanText(part, false)
		if addr == "" || utf8.RuneCountInString(addr) > maxAddressChars {
			continue
		}
		out = append(out, addr)
		if len(out) == maxAddresses {
			break
		}
	}
	return out
}
