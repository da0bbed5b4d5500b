package mapper

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders HTML as the text a reader sees, then cleans it.
// Block elements start new lines (paragraph-like ones leave a blank line),
// list items get a "- " marker, table cells are separated by spaces, and
// the contents of head, script, style, template and similar elements are
// skipped. Whitespace inside text is collapsed as a browser would, except
// in pre.
func htmlToText(s string) string {
	if s == "" {
		return ""
	}
	w := htmlWriter{out: make([]byte, 0, len(s))}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return cleanText(string(w.out), true)
		case html.TextToken:
			w.text(z.Text())
		case html.StartTagToken:
			name, _ := z.TagName()
			w.start(atom.Lookup(name))
		case html.SelfClosingTagToken:
			// <br/> breaks a line; a self-closed element has no content
			// to hide, so it must not open a hidden region.
			if name, _ := z.TagName(); !hiddenElements[atom.Lookup(name)] {
				w.start(atom.Lookup(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			w.end(atom.Lookup(name))
		}
	}
}

type htmlWriter struct {
	out    []byte
	hidden int // depth inside elements whose content is not shown
	pre    int // depth inside pre
}

func (w *htmlWriter) text(t []byte) {
	if w.hidden > 0 {
		return
	}
	if w.pre > 0 {
		w.out = append(w.out, t...)
		return
	}
	// Source line breaks are not rendered: they are spaces.
	for len(t) > 0 {
		i := bytes.IndexAny(t, "\r\n")
		if i < 0 {
			w.out = append(w.out, t...)
			return
		}
		w.out = append(append(w.out, t[:i]...), ' ')
		t = t[i+1:]
	}
}

func (w *htmlWriter) start(a atom.Atom) {
	switch {
	case hiddenElements[a]:
		w.hidden++
	case a == atom.Pre:
		w.pre++
		w.breakLines(2)
	case a == atom.Br:
		w.out = append(w.out, '\n')
	case a == atom.Li:
		w.breakLines(1)
		w.out = append(w.out, "- "...)
	case a == atom.Td || a == atom.Th:
		w.out = append(w.out, ' ')
	case paragraphElements[a]:
		w.breakLines(2)
	case lineElements[a]:
		w.breakLines(1)
	}
}

func (w *htmlWriter) end(a atom.Atom) {
	switch {
	case hiddenElements[a]:
		if w.hidden > 0 {
			w.hidden--
		}
	case a == atom.Pre:
		if w.pre > 0 {
			w.pre--
		}
		w.breakLines(2)
	case paragraphElements[a]:
		w.breakLines(2)
	case lineElements[a]:
		w.breakLines(1)
	}
}

// breakLines ends the output with at least n line breaks (spaces between
// them do not count), so adjacent blocks like </div><div> give one break,
// not two, as a browser renders them.
func (w *htmlWriter) breakLines(n int) {
	have := 0
	for i := len(w.out) - 1; i >= 0 && have < n; i-- {
		switch w.out[i] {
		case '\n':
			have++
			continue
		case ' ', '\t':
			continue
		}
		break
	}
	for ; have < n; have++ {
		w.out = append(w.out, '\n')
	}
}

// hiddenElements hold content a reader never sees. The tokenizer reads
// script, style, title, noscript and iframe content as raw text, so tags
// inside them cannot unbalance the depth count. head itself is not listed:
// emails often omit </head>, and its visible-looking children (title,
// style) are hidden on their own.
var hiddenElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Noscript: true,
	atom.Title: true, atom.Svg: true, atom.Iframe: true,
}

var paragraphElements = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Blockquote: true, atom.Table: true, atom.Ul: true, atom.Ol: true,
	atom.Hr: true, atom.Dl: true, atom.Figure: true,
}

var lineElements = map[atom.Atom]bool{
	atom.Div: true, atom.Tr: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Address: true, atom.Dt: true, atom.Dd: true, atom.Caption: true,
	atom.Main: true, atom.Nav: true, atom.Aside: true, atom.Center: true, atom.Form: true,
	atom.Fieldset: true, atom.Body: true,
}
