package mapper

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// copyVisible copies the run of visible text starting at i to the output
// and returns where it stopped (i itself if s[i] does not start one). A
// run is visible characters separated by single spaces; in JSON mode it
// carries on across '"' and '\\' (escaping them), and in multi-line mode
// across a single line break followed by a visible ASCII character. Such
// runs are most of any text, so the work per byte is small: eight bytes are
// classified at once (see stopMask), and only characters outside ASCII and
// the few that need rewriting are looked at one by one.
func (c *cleaner) copyVisible(s string, i int) int {
	if !startsRun(s, i) {
		return i
	}
	c.flush()
	seg, j := i, i // s[seg:j] is copied but not yet written
	for j < len(s) {
		if j+8 <= len(s) && j > i {
			x := load64(s, j)
			y := x & low7 // stopMask, inlined by hand
			stop := controlMask(x, y) | doubleSpaceMask(x, s[j-1] == ' ') | foreignMask(x, y)
			if c.escape {
				stop |= escapeMask(x)
			}
			if stop == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(stop) / 8 // the first byte that needs a look
		}
		b := s[j]
		switch {
		case b >= 0xc2 && b <= 0xdf && j+1 < len(s) && s[j+1]&0xc0 == 0x80:
			// A two-byte sequence (Latin, Greek, Cyrillic, Hebrew, Arabic
			// letters), decoded inline: it is valid by construction.
			if !visibleRune(rune(b&0x1f)<<6 | rune(s[j+1]&0x3f)) {
				return c.endRun(s, seg, j)
			}
			j += 2
		case b >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[j:])
			if (r == utf8.RuneError && size == 1) || !visibleRune(r) {
				return c.endRun(s, seg, j)
			}
			j += size
		case b > ' ' && b < 0x7f && b != '"' && b != '\\':
			j++
		case b == '"' || b == '\\':
			if c.escape {
				c.out = append(append(c.out, s[seg:j]...), '\\', b)
				seg = j + 1
			}
			j++
		case b == ' ' && s[j-1] != ' ':
			j++
		case b == '\t' && s[j-1] != ' ' && j+1 < len(s) && s[j+1] > ' ' && s[j+1] < 0x7f:
			// A tab between words is a space.
			c.out = append(append(c.out, s[seg:j]...), ' ')
			seg, j = j+1, j+1
		case (b == '\r' || b == '\n') && c.multiline:
			// A single line break before a visible ASCII character; the
			// space before it, if any, goes.
			next := j + 1
			if b == '\r' && next < len(s) && s[next] == '\n' {
				next++
			}
			if next >= len(s) || s[next] <= ' ' || s[next] >= 0x7f {
				return c.endRun(s, seg, j) // blank lines, indents and the end take the general path
			}
			end := j
			if s[j-1] == ' ' {
				end--
			}
			c.out = append(c.out, s[seg:end]...)
			c.newline()
			seg, j = next, next
		default:
			return c.endRun(s, seg, j)
		}
	}
	return c.endRun(s, seg, j)
}

// endRun writes the rest of a run; a trailing space stays pending.
func (c *cleaner) endRun(s string, seg, end int) int {
	if end > seg && s[end-1] == ' ' {
		c.out = append(c.out, s[seg:end-1]...)
		c.space = true
		return end
	}
	c.out = append(c.out, s[seg:end]...)
	return end
}

// startsRun reports whether s[i] is a visible character.
func startsRun(s string, i int) bool {
	b := s[i]
	if b < utf8.RuneSelf {
		return b > ' ' && b < 0x7f
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && size == 1) && visibleRune(r)
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
