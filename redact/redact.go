package redact

import "regexp"

// Marker replaces what was removed.
const Marker = "[redacted]"

// keep patterns keep their first group (the parameter name) and mark the
// value; whole patterns replace the whole match.
var (
	keepName = []*regexp.Regexp{
		regexp.MustCompile(`(?i)(bearer\s+)[^\s"',;]+`),
		regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|client_assertion|code_verifier|password)["']?\s*[=:]\s*["']?)[^\s"'&,;]+`),
		regexp.MustCompile(`(?i)(\btoken=)[^\s"'&,;]+`),
	}
	whole = []*regexp.Regexp{
		regexp.MustCompile(`\b00D[a-zA-Z0-9]{12,15}![a-zA-Z0-9._]+`),
		regexp.MustCompile(`\beyJ[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*`),
	}
)

// Text returns text with anything credential-shaped replaced by Marker.
func Text(text string) string {
	for _, re := range keepName {
		text = re.ReplaceAllString(text, "${1}"+Marker)
	}
	for _, re := range whole {
		text = re.ReplaceAllString(text, Marker)
	}
	return text
}
