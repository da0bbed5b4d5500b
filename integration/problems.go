package integration

import (
	"cmp"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// problem is one thing wrong with the configuration file, shown as
// "key (line N)text", e.g. `commsmining.projcet (line 15): unknown key;
// did you mean project?`. line is 0 for a key the file does not have.
type problem struct {
	key  string // the key as shown: objects[0] (Ticket__c).comment.body
	path string // the key as indexed: objects[0].comment.body
	line int
	text string // what follows the key: ": required; …" or " is empty: …"
	// sortLine orders the problem: its line, or its section's.
	sortLine int
}

func (p problem) String() string {
	if p.line == 0 {
		return p.key + p.text
	}
	return p.key + " (line " + strconv.Itoa(p.line) + ")" + p.text
}

// messageKey is the key a validation message starts with: a dotted path
// with list indexes, where an object's entry may carry its name in
// parentheses ("objects[0] (Ticket__c).comment.body: required").
var messageKey = regexp.MustCompile(`^[a-z_]+(?:\[\d+\])?(?: \((?:"(?:[^"\\]|\\.)*"(?:… \(\d+ bytes\))?|[A-Za-z0-9_]*)\))?(?:\.[a-z_]+|\[\d+\])*`)

// objectName is the "(Name)" an object's entry carries in messages.
var objectName = regexp.MustCompile(` \((?:"(?:[^"\\]|\\.)*"(?:… \(\d+ bytes\))?|[A-Za-z0-9_]*)\)`)

// parseProblem splits a validation message into its key and the rest, so
// the key's line can be put after it.
func parseProblem(msg string) problem {
	key := messageKey.FindString(msg)
	return problem{key: key, path: objectName.ReplaceAllString(key, ""), text: msg[len(key):]}
}

// locate gives each validation message the line of its key and, when an
// unset ${VAR} made the key's value, says so.
func (ix keyIndex) locate(messages []string) []problem {
	out := make([]problem, 0, len(messages))
	for _, msg := range messages {
		p := parseProblem(msg)
		p.line = ix.lines[p.path]
		out = append(out, ix.withUnsetNote(p))
	}
	return out
}

// withUnsetNote adds to p, when its key's value referenced unset
// variables, which ones: before the fix (at the first "; ") or at the end.
func (ix keyIndex) withUnsetNote(p problem) problem {
	note, ok := ix.unset[p.path]
	if !ok {
		return p
	}
	add := " (" + note.text() + ")"
	if before, after, found := strings.Cut(p.text, "; "); found {
		p.text = before + add + "; " + after
	} else {
		p.text += add
	}
	return p
}

// sortLine is the line p is sorted by: its own, else that of the nearest
// section the file has, else after everything.
func (ix keyIndex) sortLine(p problem) int {
	if p.line > 0 {
		return p.line
	}
	for path := p.path; path != ""; path = parentKey(path) {
		if line, ok := ix.lines[path]; ok {
			return line
		}
	}
	return math.MaxInt
}

// parentKey is the path of the section holding path ("" at the top).
func parentKey(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// coveredBy reports whether path is at or below one of the paths: a
// semantic complaint about a key whose value could not be decoded (and so
// stayed zero) repeats the decoding problem.
func coveredBy(path string, decoded []problem) bool {
	for _, d := range decoded {
		if path == d.path || d.path == "" || strings.HasPrefix(path, d.path+".") || strings.HasPrefix(path, d.path+"[") {
			return true
		}
	}
	return false
}

// mergeProblems puts the decoding problems and the validation messages
// together, a validation message dropped where a decoding problem of the
// same key says more, sorted by line.
func (ix keyIndex) mergeProblems(decoded []problem, messages []string) []problem {
	all := slices.Clone(decoded)
	for i := range all {
		all[i] = ix.withUnsetNote(all[i])
	}
	for _, p := range ix.locate(messages) {
		if !coveredBy(p.path, decoded) && !(p.line == 0 && ix.meant[p.path]) {
			all = append(all, p)
		}
	}
	for i := range all {
		all[i].sortLine = ix.sortLine(all[i])
	}
	slices.SortStableFunc(all, func(a, b problem) int { return cmp.Compare(a.sortLine, b.sortLine) })
	return all
}

// problemsError is the usage error listing problems, one a line, under the
// file's name.
func problemsError(path string, problems []problem) error {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	return Invalid(errors.New("invalid configuration in " + path + ":\n  " + strings.Join(lines, "\n  ")))
}
