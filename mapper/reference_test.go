package mapper

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// referenceClean is cleanText written rune by rune, as plainly as the
// rules read, to check the fast implementation against.
func referenceClean(s string, multiline bool) string {
	var out strings.Builder
	space, newlines := false, 0
	lineBreak := func() {
		if multiline {
			newlines++
		} else {
			space = true
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case r == '\r' || r == '\n' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			lineBreak()
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		default:
			if out.Len() > 0 {
				switch {
				case newlines >= 2:
					out.WriteString("\n\n")
				case newlines == 1:
					out.WriteString("\n")
				case space:
					out.WriteString(" ")
				}
			}
			space, newlines = false, 0
			out.WriteRune(r)
		}
		i += size
	}
	return out.String()
}

func TestCleaningMatchesTheReferenceOnRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "word", "Grüße", "東京", "🚀", " ", "  ", "\t", "\r\n", "\n", "\r", "\n\n\n", "\"", "\\",
		"\u00a0", "\u200b", "\u2028", "\x00", "\x7f", "\xff", "\xc3", "é", "\u0085", "x\r\ny", "12345678"}
	for range 20_000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		for _, multi := range []bool{true, false} {
			if got, want := cleanText(s, multi), referenceClean(s, multi); got != want {
				t.Fatalf("cleanText(%q, %v) = %q, reference %q", s, multi, got, want)
			}
			gotJSON, _ := appendCleanJSON(nil, s, multi)
			if want := appendStringContents(nil, referenceClean(s, multi)); string(gotJSON) != string(want) {
				t.Fatalf("appendCleanJSON(%q, %v) = %q, want %q", s, multi, gotJSON, want)
			}
		}
	}
}

func FuzzCleanTextMatchesTheReference(f *testing.F) {
	f.Add("a \r\nb\"c\\d  e\tf\u00a0g", true)
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		if got, want := cleanText(s, multi), referenceClean(s, multi); got != want {
			t.Fatalf("cleanText(%q, %v) = %q, reference %q", s, multi, got, want)
		}
	})
}
