package mapper

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanTextNormalisesWhitespaceAndDropsInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, in, multi, single string
	}{
		{"empty stays empty", "", "", ""},
		{"plain text is unchanged", "Hello world.", "Hello world.", "Hello world."},
		{"leading and trailing whitespace goes", " \t\n Hello \n\t ", "Hello", "Hello"},
		{"runs of spaces and tabs become one space", "a  \t b\t\tc", "a b c", "a b c"},
		{"CRLF and lone CR become LF", "a\r\nb\rc", "a\nb\nc", "a b c"},
		{"more than one blank line becomes one", "a\n\n\n\n\nb", "a\n\nb", "a b"},
		{"trailing spaces on a line go", "a   \nb", "a\nb", "a b"},
		{"indentation at line start goes", "a\n    b", "a\nb", "a b"},
		{"no-break and ideographic spaces are spaces", "a\u00a0\u3000b", "a b", "a b"},
		{"C0 controls and DEL are removed", "a\x00b\x07c\x7fd", "abcd", "abcd"},
		{"C1 controls are removed", "a\u0080b\u009fc", "abc", "abc"},
		{"zero-width, BOM and bidi marks are removed", "\ufeffa\u200bb\u200ec\u202ed", "abcd", "abcd"},
		{"line and paragraph separators are line breaks", "a\u2028b\u2029c\u0085d", "a\nb\nc\nd", "a b c d"},
		{"form feed and vertical tab are line breaks", "a\fb\vc", "a\nb\nc", "a b c"},
		{"invalid UTF-8 is removed", "a\xffb\xc3", "ab", "ab"},
		{"non-ASCII letters are kept", "Grüße, 東京 🚀", "Grüße, 東京 🚀", "Grüße, 東京 🚀"},
		{"a lone space between runs is kept", "a b  c", "a b c", "a b c"},
		{"whitespace-only becomes empty", " \t\r\n\u00a0 ", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in, true); got != tt.multi {
				t.Errorf("multiline: cleanText(%q) = %q, want %q", tt.in, got, tt.multi)
			}
			if got := cleanText(tt.in, false); got != tt.single {
				t.Errorf("single line: cleanText(%q) = %q, want %q", tt.in, got, tt.single)
			}
		})
	}
}

func TestHTMLBecomesTheTextAReaderSees(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs are separated by a blank line", "<p>a</p><p>b</p>", "a\n\nb"},
		{"br breaks a line", "a<br>b<br/>c", "a\nb\nc"},
		{"adjacent divs give one line break", "<div>a</div><div>b</div>", "a\nb"},
		{"entities are decoded", "a &amp; b &lt;c&gt; &euro;&#33;", "a & b <c> €!"},
		{"nbsp becomes a space", "a&nbsp;&nbsp;b", "a b"},
		{"source line breaks are spaces", "a\nb\r\nc", "a b c"},
		{"script and style content is skipped", "<style>p{}</style>a<script>x<y</script>b", "ab"},
		{"head title is skipped", "<html><head><title>T</title></head><body>x</body></html>", "x"},
		{"a missing </head> does not hide the body", "<html><head><meta charset=utf-8><body>x", "x"},
		{"a self-closed script hides nothing", "<script/>a", "a"},
		{"list items get markers", "<ul><li>a</li><li>b</li></ul>", "- a\n- b"},
		{"table cells are separated by spaces", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"inline tags vanish", "<b>bo</b><i>ld</i> <a href='x'>link</a>", "bold link"},
		{"comments vanish", "a<!-- hidden -->b", "ab"},
		{"unclosed tags do not break the text", "<div><p>a<b>b", "ab"},
		{"plain text passes through", "just text", "just text"},
		{"pre keeps its line breaks", "<pre>a\nb</pre>", "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncationCutsAtABoundaryWithinTheLimit(t *testing.T) {
	words := strings.Repeat("word ", 20) // 100 characters
	tests := []struct {
		name    string
		in      string
		limit   int
		want    string
		wantCut bool
	}{
		{"text under the limit is untouched", "short", 10, "short", false},
		{"text at the limit is untouched", "0123456789", 10, "0123456789", false},
		{"a cut prefers a space", words, 12, "word word", true},
		{"a cut prefers a line break", "aaaa bbbb\ncccc dddd", 17, "aaaa bbbb", true},
		{"a word longer than the limit is cut inside", "abcdefghijkl", 5, "abcde", true},
		{"characters, not bytes, are counted", "ééééé", 3, "ééé", true},
		{"multi-byte text under the limit in characters is untouched", "éé", 2, "éé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := truncate(tt.in, tt.limit)
			if got != tt.want || cut != tt.wantCut {
				t.Errorf("truncate(%q, %d) = %q, %v; want %q, %v", tt.in, tt.limit, got, cut, tt.want, tt.wantCut)
			}
			if n := utf8.RuneCountInString(got); n > tt.limit {
				t.Errorf("result has %d characters, over the limit %d", n, tt.limit)
			}
		})
	}
}

func TestAddressListsAreSplitOnSemicolonsAndCommas(t *testing.T) {
	long := strings.Repeat("x", maxAddressChars+1)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty gives none", "", nil},
		{"one address", "a@x.com", []string{"a@x.com"}},
		{"semicolons and commas both split", "a@x.com; b@y.com,c@z.com", []string{"a@x.com", "b@y.com", "c@z.com"}},
		{"empty entries and spaces go", " ; a@x.com ;; , ", []string{"a@x.com"}},
		{"order is kept", "z@x.com;a@x.com", []string{"z@x.com", "a@x.com"}},
		{"over-long addresses are dropped", "a@x.com;" + long, []string{"a@x.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitAddresses(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitAddresses(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTheVisibilityBitmapAgreesWithTheUnicodeTables(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if visibleRune(r) == invisible(r) {
			t.Fatalf("visibleRune(%U) = %v, but invisible = %v", r, visibleRune(r), invisible(r))
		}
	}
}
