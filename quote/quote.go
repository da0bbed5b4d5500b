package quote

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBytes is how much of a value a message quotes.
const MaxBytes = 64

// Value is v quoted as %q would quote it when v has at most MaxBytes;
// otherwise its first MaxBytes (cut at a character boundary) quoted,
// followed by "… (N bytes)" with v's length.
func Value(v string) string {
	if len(v) <= MaxBytes {
		return strconv.Quote(v)
	}
	return strconv.Quote(v[:cut(v, MaxBytes)]) + "… (" + strconv.Itoa(len(v)) + " bytes)"
}

// cut is the largest length up to n that does not split a UTF-8 sequence
// of v; invalid bytes count as one character each.
func cut(v string, n int) int {
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(v[i]) {
			return i
		}
	}
	return n
}

// URL is Value of a URL with its user info and its query left out, since
// either may hold a password or a token, whether or not raw parses: the
// error that names a bad URL must not become the place a secret leaks.
func URL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			s = s[:i+3] + "…@" + rest[at+1:]
		}
	}
	return Value(s)
}

// Cell is s as one cell of a table printed for a person: on one line (each
// run of white space, newlines included, becomes one space), at most n
// runes (the last one "…" when s was cut), and "-" when nothing is left.
// The tables of `sfcdc status` and `sfcdc deadletters list` show errors
// this way; their --json output has the whole text.
func Cell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}
