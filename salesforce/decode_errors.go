package salesforce

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"
)

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// decodeAPIError turns a REST error answer into an *APIError. The body is
// normally a JSON array of {message, errorCode, fields}; some answers (a
// gateway's 502, a bare 404) are not JSON, and then the status alone speaks.
func decodeAPIError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var items []struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	if err := json.Unmarshal(body, &items); err == nil && len(items) > 0 {
		e.Code, e.Message, e.Fields = items[0].ErrorCode, items[0].Message, items[0].Fields
		return e
	}
	var single struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	if err := json.Unmarshal(body, &single); err == nil && single.ErrorCode != "" {
		e.Code, e.Message = single.ErrorCode, single.Message
		return e
	}
	e.Message = http.StatusText(status)
	return e
}

// decodeOAuthError reads {"error", "error_description"}; anything else
// becomes an error named after the status.
func decodeOAuthError(status int, body []byte) *OAuthError {
	e := &OAuthError{StatusCode: status}
	var v struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &v); err == nil && v.Error != "" {
		e.Code, e.Description = printable(v.Error, 100), printable(v.Description, 500)
		return e
	}
	e.Code = "http_" + http.StatusText(status)
	return e
}

// printable keeps at most n runes of valid UTF-8 so a hostile answer
// cannot flood an error message.
func printable(s string, n int) string {
	if !utf8.ValidString(s) {
		return "(invalid UTF-8)"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
