package salesforce

import (
	"strings"
)

// soqlTokenKind classifies a lexeme of a SOQL statement.
type soqlTokenKind int

const (
	tokEOF      soqlTokenKind = iota
	tokIdent                  // keywords, object names, field paths (Parent.CaseNumber)
	tokString                 // 'quoted', escapes resolved
	tokNumber                 // 42, -1.5
	tokDateTime               // 2024-01-02T03:04:05Z, …05.000+0000, …05+01:00
	tokDate                   // 2024-01-02
	tokPunct                  // ( ) ,
	tokOperator               // = != <> < <= > >=
)

// soqlToken is one lexeme and the byte offset where it starts, for the
// "ERROR at Row:1:Column:N" part of Salesforce's messages.
type soqlToken struct {
	kind soqlTokenKind
	text string
	pos  int
}

// is reports whether the token is the keyword or punctuation s (keywords are
// case-insensitive in SOQL).
func (t soqlToken) is(s string) bool {
	return (t.kind == tokIdent || t.kind == tokPunct || t.kind == tokOperator) && strings.EqualFold(t.text, s)
}

// lexSOQL splits a statement into tokens. A malformed literal or a stray
// character is a MALFORMED_QUERY error pointing at it.
func lexSOQL(src string) ([]soqlToken, error) {
	var toks []soqlToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, soqlToken{tokPunct, string(c), i})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			tok, next, err := lexOperator(src, i)
			if err != nil {
				return nil, err
			}
			toks, i = append(toks, tok), next
		case c == '\'':
			tok, next, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks, i = append(toks, tok), next
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			tok, next := lexNumberOrDate(src, i)
			toks, i = append(toks, tok), next
		case isLetter(c) || c == '_':
			j := i
			for j < len(src) && (isLetter(src[j]) || isDigit(src[j]) || src[j] == '_' || src[j] == '.') {
				j++
			}
			toks, i = append(toks, soqlToken{tokIdent, src[i:j], i}), j
		default:
			return nil, malformedQuery(src, i, "unexpected token: "+string(c))
		}
	}
	return append(toks, soqlToken{tokEOF, "", len(src)}), nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func lexOperator(src string, i int) (soqlToken, int, error) {
	for _, op := range []string{"<=", ">=", "!=", "<>", "=", "<", ">"} {
		if strings.HasPrefix(src[i:], op) {
			return soqlToken{tokOperator, op, i}, i + len(op), nil
		}
	}
	return soqlToken{}, 0, malformedQuery(src, i, "unexpected token: !")
}

// lexString reads a single-quoted literal with SOQL's backslash escapes.
func lexString(src string, start int) (soqlToken, int, error) {
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'':
			return soqlToken{tokString, b.String(), start}, i + 1, nil
		case '\\':
			if i+1 >= len(src) {
				return soqlToken{}, 0, malformedQuery(src, i, "Invalid string literal: unterminated escape")
			}
			i++
			esc, ok := soqlEscapes[src[i]]
			if !ok {
				return soqlToken{}, 0, malformedQuery(src, i-1, "Invalid string literal '"+src[start:]+"'. Illegal character sequence '\\"+string(src[i])+"' in string literal.")
			}
			b.WriteString(esc)
		default:
			b.WriteByte(c)
		}
	}
	return soqlToken{}, 0, malformedQuery(src, start, "unexpected token: "+src[start:])
}

// soqlEscapes are the escape sequences SOQL string literals accept.
var soqlEscapes = map[byte]string{
	'n': "\n", 'r': "\r", 't': "\t", 'b': "\b", 'f': "\f",
	'"': `"`, '\'': "'", '\\': `\`, '%': `\%`, '_': `\_`,
}

// lexNumberOrDate reads a number, or a date / date-time literal (which
// starts with four digits and a dash).
func lexNumberOrDate(src string, start int) (soqlToken, int) {
	j := start + 1
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j-start == 4 && j < len(src) && src[j] == '-' {
		for j < len(src) && (isDigit(src[j]) || strings.IndexByte("-:T.+Z", src[j]) >= 0) {
			j++
		}
		kind := tokDate
		if strings.Contains(src[start:j], "T") {
			kind = tokDateTime
		}
		return soqlToken{kind, src[start:j], start}, j
	}
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	return soqlToken{tokNumber, src[start:j], start}, j
}
