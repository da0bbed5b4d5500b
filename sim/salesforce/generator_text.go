package salesforce

import (
	"fmt"
	"html"
	"math/rand/v2"
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

// paragraph is three to six sentences about the problem.
func (g textGen) paragraph() string {
	var s []string
	for range 3 + g.rng.IntN(4) {
		switch g.rng.IntN(3) {
		case 0:
			s = append(s, fmt.Sprintf("Our %s %s.", g.pick(genProducts), g.pick(genProblems)))
		case 1:
			s = append(s, g.pick(genImpacts))
		default:
			s = append(s, g.pick(genAgentLines))
		}
	}
	return strings.Join(s, " ")
}

// emailText is a plain-text email of about target bytes: greeting,
// paragraphs, signature, then quoted history and a disclaimer until long enough.
func (g textGen) emailText(from, to string, target int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", to)
	for range 2 + g.rng.IntN(3) {
		b.WriteString(g.paragraph() + "\n\n")
	}
	fmt.Fprintf(&b, "Best regards,\n%s\n", from)
	for b.Len() < target {
		b.WriteString("\n> " + strings.ReplaceAll(g.paragraph(), ". ", ".\n> ") + "\n")
	}
	b.WriteString("\n--\nThis message may contain confidential information. If you are not the intended recipient, please delete it.\n")
	return b.String()
}

// genEmailHTML renders a plain-text email the way mail clients do: a styled
// document with one <p> per paragraph and quotes in a blockquote.
func genEmailHTML(text string) string {
	var b strings.Builder
	b.WriteString(`<html><head><meta charset="utf-8"><style>body{font-family:Calibri,Arial,sans-serif;font-size:11pt;color:#1f1f1f} blockquote{border-left:2px solid #ccc;margin-left:4px;padding-left:8px;color:#555} .signature{color:#777;font-size:9pt}</style></head><body>`)
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		if strings.HasPrefix(para, ">") {
			fmt.Fprintf(&b, "<blockquote><div class=\"quoted\">%s</div></blockquote>", strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
			continue
		}
		fmt.Fprintf(&b, "<p style=\"margin:0 0 12px 0\">%s</p>\n", strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
	}
	b.WriteString(`<div class="signature">Sent from the support mailbox</div></body></html>`)
	return b.String()
}

func (g textGen) messageID(domain string) string {
	return fmt.Sprintf("<%016x.%08x@%s>", g.rng.Uint64(), g.rng.Uint32(), domain)
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
