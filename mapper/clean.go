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
	if s == "" {
		return ""
	}
	c := cleaner{multiline: multiline}
	c.out.Grow(len(s)) // cleaning never lengthens text
	c.run(s)
	return c.out.String() // no copy: Builder hands over its buffer
}

type cleaner struct {
	out       strings.Builder
	multiline bool
	space     bool // a space is pending before the next visible character
	newlines  int  // line breaks pending before the next visible character
}

func (c *cleaner) run(s string) {
	for i := 0; i < len(s); {
		if end := visibleRun(s, i); end > i {
			c.flush()
			if s[end-1] == ' ' { // the run stopped at a space that needs a look
				c.out.WriteString(s[i : end-1])
				c.space = true
			} else {
				c.out.WriteString(s[i:end])
			}
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

// visibleRun returns the end of the run starting at i of visible characters
// separated by single spaces; i itself if s[i] is not visible. Such runs
// are most of any text and are copied in one append, so the per-byte work
// is a table lookup, or eight bytes at once, or one rune lookup.
func visibleRun(s string, i int) int {
	j := i
	for j < len(s) {
		for j+8 <= len(s) && j > i {
			x := load64(s, j)
			if hasLess(x, 0x20) || hasAbove(x, 0x7e) {
				break
			}
			spaces := spaceMask(x)
			// No two spaces in a row, within the word or across its start.
			if spaces&(spaces<<8) != 0 || (spaces&0x80 != 0 && s[j-1] == ' ') {
				break
			}
			j += 8
		}
		for j < len(s) && visibleASCII[s[j]] {
			j++
		}
		if j == len(s) {
			return j
		}
		b := s[j]
		switch {
		case b == ' ' && j > i && s[j-1] != ' ':
			j++
		case b >= 0xc2 && b <= 0xdf && j+1 < len(s) && s[j+1]&0xc0 == 0x80:
			// A two-byte sequence (Latin, Greek, Cyrillic, Hebrew, Arabic
			// letters), decoded inline: it is valid by construction.
			if !visibleRune(rune(b&0x1f)<<6 | rune(s[j+1]&0x3f)) {
				return j
			}
			j += 2
		case b >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[j:])
			if (r == utf8.RuneError && size == 1) || !visibleRune(r) {
				return j
			}
			j += size
		default:
			return j
		}
	}
	return j
}

// visibleASCII marks the printable ASCII characters other than space.
var visibleASCII = func() (t [256]bool) {
	for b := '!'; b < 0x7f; b++ {
		t[b] = true
	}
	return t
}()

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
		c.out.WriteRune(r)
	}
}

// invisible reports characters cleaning removes or treats as whitespace:
// spaces, controls and format characters (category Cf).
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// invisibleBMP caches invisible for the Basic Multilingual Plane as a
// bitmap, one bit per character (8 KiB), because the unicode range tables
// cost tens of nanoseconds per lookup and accented text has many runes.
var invisibleBMP = func() *[0x10000 / 64]uint64 {
	var bits [0x10000 / 64]uint64
	for r := rune(0); r < 0x10000; r++ {
		if invisible(r) {
			bits[r>>6] |= 1 << (r & 63)
		}
	}
	return &bits
}()

// visibleRune reports whether r is kept as it is.
func visibleRune(r rune) bool {
	if r < 0x10000 {
		return invisibleBMP[r>>6]&(1<<(r&63)) == 0
	}
	return !invisible(r)
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
	if c.out.Len() > 0 {
		switch {
		case c.newlines >= 2:
			c.out.WriteString("\n\n")
		case c.newlines == 1:
			c.out.WriteByte('\n')
		case c.space:
			c.out.WriteByte(' ')
		}
	}
	c.space, c.newlines = false, 0
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
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == ',' }) {
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
