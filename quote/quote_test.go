package quote_test

import (
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/quote"
)

func TestAShortValueIsQuotedWhole(t *testing.T) {
	for _, v := range []string{"", "support", "a\nb\x00", strings.Repeat("x", quote.MaxBytes)} {
		want := `"` + strings.NewReplacer("\n", `\n`, "\x00", `\x00`).Replace(v) + `"`
		if got := quote.Value(v); got != want {
			t.Errorf("Value(%.20q) = %s, want %s", v, got, want)
		}
	}
}

func TestALongValueIsCutToAPrefixThatSaysItsLength(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"ASCII", strings.Repeat("a", 50<<20), `"` + strings.Repeat("a", 64) + `"… (52428800 bytes)`},
		{"one byte over", strings.Repeat("b", 65), `"` + strings.Repeat("b", 64) + `"… (65 bytes)`},
		{"a character across the cut", strings.Repeat("a", 63) + "é" + "zz", `"` + strings.Repeat("a", 63) + `"… (67 bytes)`},
		{"invalid UTF-8", strings.Repeat("\xff", 100), `"` + strings.Repeat(`\xff`, 64) + `"… (100 bytes)`},
		{"a control character", "\x1b[2J" + strings.Repeat("c", 100), `"\x1b[2J` + strings.Repeat("c", 60) + `"… (104 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := quote.Value(tc.value); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A URL named in an error never shows its user info or query, which may
// hold a password or a token, even when it does not parse.
func TestURLLeavesOutUserInfoAndQuery(t *testing.T) {
	const secret = "canary-s3cret"
	for raw, want := range map[string]string{
		"https://bob:" + secret + "@host.example/api":     `"https://…@host.example/api"`,
		"https://host.example/api?access_token=" + secret: `"https://host.example/api?…"`,
		"https://bob:%zz" + secret + "@host/x":            `"https://…@host/x"`,
		"redis://:" + secret + "@127.0.0.1:6379/0":        `"redis://…@127.0.0.1:6379/0"`,
		"https://host.example/a@b":                        `"https://host.example/a@b"`,
	} {
		if got := quote.URL(raw); got != want {
			t.Errorf("URL(%q) = %s, want %s", raw, got, want)
		}
	}
}

func TestCellKeepsATableCellOnOneShortLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 80, "-"},
		{" \n\t ", 80, "-"},
		{"dial tcp: refused", 80, "dial tcp: refused"},
		{"first line\n  second\tline ", 80, "first line second line"},
		{"ééééé", 5, "ééééé"},
		{"éééééé", 5, "éééé…"},
	} {
		if got := quote.Cell(c.in, c.n); got != c.want {
			t.Errorf("Cell(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
