package salesforce

import (
	"encoding/json"
	"net/http"
)

// restError is one element of the REST API's error body, which is always
// a JSON array: [{"message": …, "errorCode": …, "fields": […]}].
type restError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

// Messages of the errors every REST resource can answer with.
const (
	msgSessionInvalid    = "Session expired or invalid"
	msgNotFound          = "The requested resource does not exist"
	msgLimitExceeded     = "TotalRequests Limit exceeded."
	msgServerUnavailable = "Server is temporarily unavailable. Please try again later."
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // Salesforce writes < > & as they are
	_ = enc.Encode(v)
}

func writeRESTError(w http.ResponseWriter, status int, code, message string, fields ...string) {
	writeJSON(w, status, []restError{{Message: message, ErrorCode: code, Fields: fields}})
}

// writeQueryError answers a refused SOQL statement with 400 and its code.
func writeQueryError(w http.ResponseWriter, err error) {
	if se, ok := err.(*soqlError); ok {
		writeRESTError(w, http.StatusBadRequest, se.code, se.message)
		return
	}
	writeRESTError(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
}
