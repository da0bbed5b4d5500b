package salesforce

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Vocabulary of the synthetic support traffic. Plain words keep the text
// readable in the demo while giving Communications Mining varied input.
var (
	genFirstNames = []string{"Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas", "Kemi", "Lars", "Maya", "Nikhil", "Olga", "Pedro"}
	genLastNames  = []string{"Martin", "Okafor", "Rossi", "Novak", "Schmidt", "Tanaka", "Haddad", "Dubois", "Kowalski", "Silva", "Andersen", "Moreau", "Fischer", "Quinn"}
	genCompanies  = []string{"Northwind Traders", "Contoso Ltd", "Fabrikam", "Tailspin Toys", "Wide World Importers", "Litware", "Adventure Works", "Proseware", "Lucerne Publishing", "Trey Research"}
	genProducts   = []string{"invoice portal", "mobile app", "billing export", "SSO login", "shipment tracker", "reporting dashboard", "API gateway", "payment terminal", "data sync", "customer portal"}
	genProblems   = []string{
		"stopped working after the last update", "shows an error when we try to log in", "charged us twice this month",
		"is extremely slow since Monday", "does not send the confirmation emails", "exports the wrong currency",
		"keeps logging our users out", "lost the settings we saved yesterday", "rejects valid card payments",
		"displays last week's numbers", "times out for customers in Europe", "fails with error code 502",
	}
	genImpacts = []string{
		"Our finance team cannot close the month until this is fixed.", "About forty users are affected and they are getting impatient.",
		"We have a board meeting on Thursday and need the figures.", "Customers are calling our hotline about it.",
		"This is blocking our warehouse from shipping orders.", "We tried clearing the cache and restarting, which did not help.",
		"Nothing changed on our side as far as we know.", "The problem started around nine in the morning.",
	}
	genAgentLines = []string{
		"Thank you for reaching out and for the detailed description.", "I have reproduced the issue in our test environment.",
		"Our engineering team identified a configuration change that caused this.", "Could you send us a screenshot of the error and the time it happened?",
		"As a workaround, please use the export from the classic view for now.", "We have applied a fix to your account; please try again.",
		"I have escalated this to our second-level team with high priority.", "I will keep this case open until you confirm everything works.",
	}
	genStatuses   = []string{"New", "Working", "Waiting on Customer", "Escalated", "Closed"}
	genPriorities = []string{"Low", "Medium", "High", "Critical"}
)

// textGen writes support text from a seeded source.
type textGen struct{ rng *rand.Rand }

func (g textGen) pick(options []string) string { return options[g.rng.IntN(len(options))] }

func (g textGen) personName() (first, last string) {
	return g.pick(genFirstNames), g.pick(genLastNames)
}

func (g textGen) subject() string {
	return fmt.Sprintf("%s %s", capitalizeFirst(g.pick(genProducts)), g.pick(genProblems))
}

// paragraph is three to six sentences about the problem. (Built by
// appending rather than fmt: it runs for every email of a benchmark.)
func (g textGen) paragraph() string {
	var b strings.Builder
	b.Grow(512)
	for i := range 3 + g.rng.IntN(4) {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch g.rng.IntN(3) {
		case 0:
			b.WriteString("Our ")
			b.WriteString(g.pick(genProducts))
			b.WriteByte(' ')
			b.WriteString(g.pick(genProblems))
			b.WriteByte('.')
		case 1:
			b.WriteString(g.pick(genImpacts))
		default:
			b.WriteString(g.pick(genAgentLines))
		}
	}
	return b.String()
}

// genEmailHTML renders a plain-text email the way mail clients do: a styled
// document with one <p> per paragraph and quotes in a blockquote.
func genEmailHTML(text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/4 + 512)
	b.WriteString(`<html><head><meta charset="utf-8"><style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt;color:#1f1f1f} blockquote{border-left:2px solid #ccc;margin-left:4px;padding-left:8px;color:#555} .signature{color:#777;font-size:9pt}</style></head><body>`)
	for rest := text; rest != ""; {
		para, after, _ := strings.Cut(rest, "\n\n")
		rest = after
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		if strings.HasPrefix(para, ">") {
			b.WriteString("<blockquote><div class=\"quoted\">")
			writeHTMLLines(&b, para)
			b.WriteString("</div></blockquote>")
			continue
		}
		b.WriteString("<p style=\"margin:0 0 12px 0\">")
		writeHTMLLines(&b, para)
		b.WriteString("</p>\n")
	}
	b.WriteString(`<div class="signature">Sent from the support mailbox</div></body></html>`)
	return b.String()
}

// writeHTMLLines writes s escaped as html.EscapeString does, with a <br>
// before each newline, in one pass.
func writeHTMLLines(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '"':
			rep = "&#34;"
		case '\n':
			rep = "<br>\n"
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(rep)
		start = i + 1
	}
	b.WriteString(s[start:])
}

func (g textGen) messageID(domain string) string {
	// Appended rather than formatted: it runs for every email.
	b := make([]byte, 0, 28+len(domain))
	b = append(b, '<')
	b = appendHex(b, g.rng.Uint64(), 16)
	b = append(b, '.')
	b = appendHex(b, uint64(g.rng.Uint32()), 8)
	b = append(b, '@')
	b = append(b, domain...)
	b = append(b, '>')
	return string(b)
}

// appendHex appends v in lower-case hex, zero-padded to width digits
// (fmt's %0*x).
func appendHex(b []byte, v uint64, width int) []byte {
	var digits [16]byte
	n := len(strconv.AppendUint(digits[:0], v, 16))
	for ; n < width; n++ {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, v, 16)
}

func genEmailAddress(first, last, company string) string {
	domain := strings.ToLower(strings.Fields(company)[0]) + ".example.com"
	return strings.ToLower(first+"."+last) + "@" + domain
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
