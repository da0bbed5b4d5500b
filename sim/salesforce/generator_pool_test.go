package salesforce

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Emails assembled from the pre-rendered pool must carry exactly the HTML
// the text renders to (genEmailHTML), be of the requested size, and vary:
// the pool replaced per-email composition, not the traffic's realism.
func TestPooledEmailHTMLMatchesGenEmailHTML(t *testing.T) {
	t.Parallel()
	tg := textGen{rng: rand.New(rand.NewPCG(3, 4))}
	seen := map[string]bool{}
	for i := range 500 {
		from, to := "Grace Quinn", "Support team"
		if i%2 == 1 {
			from, to = "The Support Team", "O'Brien & \"Co\" <x>"
		}
		target := 2200 + tg.rng.IntN(2000)
		text, html := tg.email(from, to, target)
		if want := genEmailHTML(text); html != want {
			t.Fatalf("email %d: pooled HTML differs from genEmailHTML(text)\n got %q\nwant %q", i, html, want)
		}
		if len(text) < target || len(text) > target+1200 {
			t.Errorf("email %d: %d bytes of text, want about %d", i, len(text), target)
		}
		if !strings.HasPrefix(text, "Hello "+to+",\n\n") || !strings.Contains(text, "\n> ") || !strings.HasSuffix(text, emailDisclaimer) {
			t.Errorf("email %d lacks greeting, quoted history or disclaimer: %q", i, text)
		}
		seen[text] = true
	}
	if len(seen) < 500 {
		t.Errorf("only %d distinct texts among 500 emails", len(seen))
	}
}

func TestAppendHexMatchesFmt(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{0, 1, 0xabc, 0xdeadbeef, 1 << 63, ^uint64(0)} {
		for _, w := range []int{8, 16} {
			if got, want := string(appendHex(nil, v, w)), fmt.Sprintf("%0*x", w, v); got != want {
				t.Errorf("appendHex(%#x, %d) = %q, want %q", v, w, got, want)
			}
		}
	}
}
