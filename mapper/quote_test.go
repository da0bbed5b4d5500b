package mapper

import (
	"strings"
	"testing"
)

// The cases of quote's tests: mapper's copy must cut values the same way.
func TestQuotedValuesAreCutLikeQuoteValue(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"short", "a\nb", `"a\nb"`},
		{"64 bytes", strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{"ASCII", strings.Repeat("a", 50<<20), `"` + strings.Repeat("a", 64) + `"… (52428800 bytes)`},
		{"a character across the cut", strings.Repeat("a", 63) + "é" + "zz", `"` + strings.Repeat("a", 63) + `"… (67 bytes)`},
		{"invalid UTF-8", strings.Repeat("\xff", 100), `"` + strings.Repeat(`\xff`, 64) + `"… (100 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := quoteValue(tc.value); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
