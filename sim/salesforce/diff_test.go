package salesforce

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// applyUnifiedDiff rebuilds the new value from the old one and a diff in
// Salesforce's format, as a subscriber would.
func applyUnifiedDiff(old, diff string) (string, error) {
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) < 2 || lines[0] != "--- \n" || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("missing --- / +++ header")
	}
	src := splitTextLines(old)
	var out []string
	next := 0 // index of the next unread old line
	for _, l := range lines[2:] {
		switch {
		case l == "":
		case strings.HasPrefix(l, "@@ "):
			start, err := hunkOldStart(l)
			if err != nil {
				return "", err
			}
			for next < start {
				out, next = append(out, src[next]), next+1
			}
		case l == "\\ No newline at end of file\n":
			out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "\n")
		case l[0] == ' ' || l[0] == '-':
			if next >= len(src) || strings.TrimSuffix(src[next], "\n") != strings.TrimSuffix(l[1:], "\n") {
				return "", fmt.Errorf("context %q does not match old line %d", l, next+1)
			}
			if l[0] == ' ' {
				out = append(out, src[next])
			}
			next++
		case l[0] == '+':
			out = append(out, l[1:])
		default:
			return "", fmt.Errorf("bad diff line %q", l)
		}
	}
	out = append(out, src[next:]...)
	return strings.Join(out, ""), nil
}

// hunkOldStart returns the 0-based index of the first old line a hunk touches.
func hunkOldStart(header string) (int, error) {
	old := strings.Fields(header)[1][1:] // "-a,b"
	a, count, _ := strings.Cut(old, ",")
	n, err := strconv.Atoi(a)
	if err != nil {
		return 0, fmt.Errorf("bad hunk header %q", header)
	}
	if count == "0" {
		return n, nil
	}
	return n - 1, nil
}

// paragraphText is n numbered lines of about 60 characters.
func paragraphText(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Line %03d of the customer's long description, kept for context.\n", i)
	}
	return b.String()
}

func TestUnifiedDiffRebuildsTheNewValueAndCarriesItsHash(t *testing.T) {
	t.Parallel()
	old := paragraphText(60)
	tests := []struct {
		name string
		new  string
	}{
		{"one line changed", strings.Replace(old, "Line 030", "Line thirty", 1)},
		{"a line appended", old + "A new closing remark.\n"},
		{"first line removed", old[strings.Index(old, "\n")+1:]},
		{"changes far apart", strings.Replace(strings.Replace(old, "Line 002", "Line two", 1), "Line 057", "Line fifty-seven", 1)},
		{"no final newline", strings.TrimSuffix(old, "\n") + " The end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := unifiedDiff(old, tt.new)
			if !ok {
				t.Fatal("no diff produced")
			}
			sum := sha256.Sum256([]byte(tt.new))
			if prefix := "--- \n+++ " + hex.EncodeToString(sum[:]) + "\n@@ "; !strings.HasPrefix(d, prefix) {
				t.Errorf("diff starts %q, want %q", d[:min(len(d), 90)], prefix)
			}
			got, err := applyUnifiedDiff(old, d)
			if err != nil || got != tt.new {
				t.Errorf("applying the diff: %v\n%s", err, d)
			}
		})
	}
}

// fourLongLines has four 300-character lines; the last one is last.
// Changing it changes 25 % of the lines, but the diff repeats the other three
// as context and is longer than the value.
func fourLongLines(last string) string {
	l := strings.Repeat("x", 299) + "\n"
	return l + l + l + strings.Repeat(last, 299) + "\n"
}

func TestUnifiedDiffIsSkippedWhenTheReferenceSaysSo(t *testing.T) {
	t.Parallel()
	old := paragraphText(60)
	var rewritten strings.Builder
	for i, l := range splitTextLines(old) {
		if i%3 == 0 {
			l = "Rewritten " + l
		}
		rewritten.WriteString(l)
	}
	tests := []struct {
		name     string
		old, new string
	}{
		{"new value under 1,000 characters", old[:900], old[:950]},
		{"length grows by more than half", old, old + old[:len(old)/2+100]},
		{"length shrinks by more than half", old, old[:len(old)/2-100] + "\n" + strings.Repeat("x", 0)},
		{"a third of the lines changed", old, rewritten.String()},
		{"diff not shorter than the value", fourLongLines("a"), fourLongLines("b")},
		{"no previous value", "", old},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, ok := unifiedDiff(tt.old, tt.new); ok {
				t.Errorf("diff produced:\n%.300s", d)
			}
		})
	}
}

func TestRandomSmallEditsAlwaysRebuildExactly(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	old := paragraphText(80)
	diffed := 0
	for i := range 200 {
		lines := splitTextLines(old)
		for range 1 + rng.IntN(4) {
			k := rng.IntN(len(lines))
			switch rng.IntN(3) {
			case 0:
				lines[k] = "edited " + lines[k]
			case 1:
				lines = append(lines[:k], lines[k+1:]...)
			default:
				lines = append(lines[:k], append([]string{"inserted line\n"}, lines[k:]...)...)
			}
		}
		next := strings.Join(lines, "")
		d, ok := unifiedDiff(old, next)
		if !ok {
			continue
		}
		diffed++
		if got, err := applyUnifiedDiff(old, d); err != nil || got != next {
			t.Fatalf("case %d: %v\n%s", i, err, d)
		}
	}
	if diffed < 190 {
		t.Errorf("only %d of 200 small edits were sent as diffs", diffed)
	}
}

func TestLargeTextUpdateIsSentAsADiffOnlyWhenTheOrgSendsDifferences(t *testing.T) {
	t.Parallel()
	old := paragraphText(40)
	next := strings.Replace(old, "Line 020", "Line twenty", 1)
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("SendDataDifferences=%v", on), func(t *testing.T) {
			org, _ := newOrgForTest(t, Config{SendDataDifferences: on})
			id := createForTest(t, org, "Case", Values{"Description": old})
			ev := onlyEvent(t, commitForTest(t, org, func(tx *Tx) error { return tx.Update(id, Values{"Description": next}) }))
			got := decodeOrgEvent(t, org, ev)
			diffNames := namesOf(t, org, ev, headerStrings(got.Header, "diffFields"))
			desc := got.Body["Description"].(string)
			if !on {
				if desc != next || len(diffNames) != 0 {
					t.Errorf("without the setting: Description %.40q, diffFields %v", desc, diffNames)
				}
				return
			}
			if len(diffNames) != 1 || diffNames[0] != "Description" {
				t.Errorf("diffFields name %v, want [Description]", diffNames)
			}
			if rebuilt, err := applyUnifiedDiff(old, desc); err != nil || rebuilt != next {
				t.Errorf("diff does not rebuild the value: %v", err)
			}
			if changed := namesOf(t, org, ev, headerStrings(got.Header, "changedFields")); !strings.Contains(strings.Join(changed, ","), "Description") {
				t.Errorf("changedFields %v lacks Description", changed)
			}
		})
	}
}
