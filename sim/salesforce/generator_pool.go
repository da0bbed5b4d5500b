package salesforce

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// Email bodies are assembled from pre-rendered paragraphs instead of being
// written sentence by sentence and then rendered to HTML: composing and
// escaping every 5–10 KB email was a third of a generator step. A pool of
// a few hundred paragraphs, picked four to ten at a time in random order,
// still makes practically every email's text distinct, and each paragraph's
// HTML is rendered once, exactly as genEmailHTML renders it, so HtmlBody is
// still genEmailHTML(TextBody) (TestPooledEmailHTMLMatchesGenEmailHTML).

// emailPoolSize is how many body and how many quoted paragraphs the pool
// holds (about 350 KB in all, text and HTML).
const emailPoolSize = 384

// pooledPara is one paragraph as plain text and as the HTML genEmailHTML
// writes for it.
type pooledPara struct{ text, html string }

type emailPool struct {
	paras  []pooledPara // body paragraphs: "<p …>…</p>\n"
	quotes []pooledPara // quoted history: "> …" lines, "<blockquote>…</blockquote>"
}

const (
	emailHTMLHead     = `<html><head><meta charset="utf-8"><style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt;color:#1f1f1f} blockquote{border-left:2px solid #ccc;margin-left:4px;padding-left:8px;color:#555} .signature{color:#777;font-size:9pt}</style></head><body>`
	emailHTMLFoot     = `<div class="signature">Sent from the support mailbox</div></body></html>`
	emailHTMLParaOn   = "<p style=\"margin:0 0 12px 0\">"
	emailHTMLParaOff  = "</p>\n"
	emailHTMLQuoteOn  = "<blockquote><div class=\"quoted\">"
	emailHTMLQuoteOff = "</div></blockquote>"
	emailDisclaimer   = "\n--\nThis message may contain confidential information. If you are not the intended recipient, please delete it.\n"
)

// emailDisclaimerHTML is the disclaimer paragraph as genEmailHTML renders it.
var emailDisclaimerHTML = func() string {
	var b strings.Builder
	b.WriteString(emailHTMLParaOn)
	writeHTMLLines(&b, strings.TrimSpace(emailDisclaimer))
	b.WriteString(emailHTMLParaOff)
	return b.String()
}()

// sharedEmailPool is built once, from a fixed seed, so every generator (and
// every run) draws from the same paragraphs: traffic stays a function of
// the generator's seed alone.
var sharedEmailPool = sync.OnceValue(func() *emailPool {
	rng := rand.New(rand.NewPCG(0x5f_cdc, 0xe3a1_1b0d))
	tg := textGen{rng: rng}
	p := &emailPool{paras: make([]pooledPara, emailPoolSize), quotes: make([]pooledPara, emailPoolSize)}
	var b strings.Builder
	for i := range emailPoolSize {
		text := tg.paragraph()
		b.Reset()
		b.WriteString(emailHTMLParaOn)
		writeHTMLLines(&b, text)
		b.WriteString(emailHTMLParaOff)
		p.paras[i] = pooledPara{text: text, html: b.String()}

		quoted := "> " + strings.ReplaceAll(tg.paragraph(), ". ", ".\n> ")
		b.Reset()
		b.WriteString(emailHTMLQuoteOn)
		writeHTMLLines(&b, quoted)
		b.WriteString(emailHTMLQuoteOff)
		p.quotes[i] = pooledPara{text: quoted, html: b.String()}
	}
	return p
})

// email writes a plain-text email of about target bytes — greeting, two to
// four paragraphs, signature, quoted history until long enough, disclaimer
// — and its HTML rendering (genEmailHTML of the text). from and to must
// not contain a blank line or start with '>' (names and team names do not).
func (g textGen) email(from, to string, target int) (text, html string) {
	pool := sharedEmailPool()
	var picks [32]int32 // paragraph indexes: body first, then quotes
	n := 2 + g.rng.IntN(3)
	textLen := len("Hello ,\n\n") + len(to) + len("Best regards,\n\n") + len(from)
	htmlLen := len(emailHTMLHead) + 2*len(emailHTMLParaOn) + 2*len(emailHTMLParaOff) + len(to) + len(from) + 32
	for i := range n {
		k := g.rng.IntN(len(pool.paras))
		picks[i] = int32(k)
		textLen += len(pool.paras[k].text) + 2
		htmlLen += len(pool.paras[k].html)
	}
	quotes := n
	for textLen < target && quotes < len(picks) {
		k := g.rng.IntN(len(pool.quotes))
		picks[quotes] = int32(k)
		quotes++
		textLen += len(pool.quotes[k].text) + 2
		htmlLen += len(pool.quotes[k].html)
	}
	textLen += len(emailDisclaimer)
	htmlLen += len(emailDisclaimerHTML) + len(emailHTMLFoot)

	var t, h strings.Builder
	t.Grow(textLen)
	h.Grow(htmlLen)
	h.WriteString(emailHTMLHead)
	t.WriteString("Hello ")
	t.WriteString(to)
	t.WriteString(",\n\n")
	h.WriteString(emailHTMLParaOn)
	writeHTMLLines(&h, "Hello "+to+",")
	h.WriteString(emailHTMLParaOff)
	for _, k := range picks[:n] {
		t.WriteString(pool.paras[k].text)
		t.WriteString("\n\n")
		h.WriteString(pool.paras[k].html)
	}
	t.WriteString("Best regards,\n")
	t.WriteString(from)
	t.WriteByte('\n')
	h.WriteString(emailHTMLParaOn)
	writeHTMLLines(&h, "Best regards,\n"+from)
	h.WriteString(emailHTMLParaOff)
	for _, k := range picks[n:quotes] {
		t.WriteByte('\n')
		t.WriteString(pool.quotes[k].text)
		t.WriteByte('\n')
		h.WriteString(pool.quotes[k].html)
	}
	t.WriteString(emailDisclaimer)
	h.WriteString(emailDisclaimerHTML)
	h.WriteString(emailHTMLFoot)
	return t.String(), h.String()
}
