package salesforce

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Thresholds of "Sending Data Differences" (reference §3.5).
const (
	diffMinChars        = 1000 // shorter new values are sent whole
	diffMaxLengthChange = 0.50 // old/new length may differ by at most 50 %
	diffMaxLinesChanged = 0.25 // at most 25 % of lines may change
	diffContext         = 3    // context lines around each hunk
	// diffMaxCells bounds the line-matching table; edits touching more
	// lines than this allows are sent whole rather than diffed.
	diffMaxCells = 1 << 20
)

// unifiedDiff returns the value Salesforce sends instead of a large text
// field's new value: "--- \n+++ <sha256 hex of new>\n" and unified hunks,
// with three lines of context. ok is false when §3.5 says to send the whole
// value: new shorter than 1,000 characters, lengths differing by more than
// 50 %, more than 25 % of lines changed (the larger of removed and added
// lines over the longer text's line count), or a diff not shorter than the
// value. Equal values produce no diff either.
func unifiedDiff(old, new string) (string, bool) {
	oldLen, newLen := utf8.RuneCountInString(old), utf8.RuneCountInString(new)
	if old == new || newLen < diffMinChars || oldLen == 0 {
		return "", false
	}
	if d := float64(newLen - oldLen); max(d, -d) > diffMaxLengthChange*float64(oldLen) {
		return "", false
	}
	a, b := splitTextLines(old), splitTextLines(new)
	ops, ok := lineEdits(a, b)
	if !ok || linesChanged(ops) > diffMaxLinesChanged*float64(max(len(a), len(b))) {
		return "", false
	}
	sum := sha256.Sum256([]byte(new))
	var out strings.Builder
	out.WriteString("--- \n+++ " + hex.EncodeToString(sum[:]) + "\n")
	writeHunks(&out, ops)
	if out.Len() >= len(new) {
		return "", false
	}
	return out.String(), true
}

// splitTextLines splits after each "\n"; the last line may lack one.
func splitTextLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffLine is one line of a diff: ' ' kept, '-' removed, '+' added.
type diffLine struct {
	kind byte
	line string
}

// lineEdits finds a shortest edit script by longest common subsequence
// after trimming the common prefix and suffix.
func lineEdits(a, b []string) ([]diffLine, bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	midA, midB := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if (len(midA)+1)*(len(midB)+1) > diffMaxCells {
		return nil, false
	}
	var ops []diffLine
	for _, l := range a[:pre] {
		ops = append(ops, diffLine{' ', l})
	}
	ops = append(ops, lcsEdits(midA, midB)...)
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, diffLine{' ', l})
	}
	return ops, true
}

// lcsEdits is the classic dynamic-programming LCS walk.
func lcsEdits(a, b []string) []diffLine {
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w) // lcs[i*w+j]: LCS of a[i:], b[j:]
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	var ops []diffLine
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, diffLine{' ', a[i]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i*w+j+1] >= lcs[(i+1)*w+j]):
			ops = append(ops, diffLine{'+', b[j]})
			j++
		default:
			ops = append(ops, diffLine{'-', a[i]})
			i++
		}
	}
	return ops
}

func linesChanged(ops []diffLine) float64 {
	removed, added := 0, 0
	for _, op := range ops {
		switch op.kind {
		case '-':
			removed++
		case '+':
			added++
		}
	}
	return float64(max(removed, added))
}

// writeHunks groups edits into hunks whose changes are at most
// 2×diffContext kept lines apart.
func writeHunks(out *strings.Builder, ops []diffLine) {
	oldAt, newAt := make([]int, len(ops)+1), make([]int, len(ops)+1)
	for k, op := range ops {
		oldAt[k+1], newAt[k+1] = oldAt[k], newAt[k]
		if op.kind != '+' {
			oldAt[k+1]++
		}
		if op.kind != '-' {
			newAt[k+1]++
		}
	}
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			return
		}
		start, end := max(0, i-diffContext), hunkEnd(ops, i)
		fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(oldAt[start], oldAt[end]-oldAt[start]), hunkRange(newAt[start], newAt[end]-newAt[start]))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.line)
			if !strings.HasSuffix(op.line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
}

// hunkEnd returns the index after the hunk that starts changing at i.
func hunkEnd(ops []diffLine, i int) int {
	for i < len(ops) {
		if ops[i].kind != ' ' {
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind == ' ' {
			j++
		}
		if j == len(ops) || j-i > 2*diffContext {
			return min(i+diffContext, len(ops))
		}
		i = j
	}
	return i
}

// hunkRange formats "start,count" as GNU diff does: 1-based, ",count"
// omitted for one line, and the preceding line for an empty range.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
