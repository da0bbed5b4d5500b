package replay

import "github.com/sfcdc/sfcdc/redact"

// storedErrorText is error text as the store keeps it: without anything
// credential-shaped (redact.Text), then cut to at most n bytes. Redacting
// first means a cut can never leave the head of a token the patterns no
// longer recognise.
//
// Every write of error text goes through here or through redact.Text (a
// dead letter's Error in DeadLetter.fields), whatever the caller already
// did: the store is the last place before operators, platform teams and
// backups read the text, so it does not rely on its callers.
func storedErrorText(text string, n int) string {
	return truncateUTF8(redact.Text(text), n)
}
