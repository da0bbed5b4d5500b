package salesforce

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels a caller branches on. An *APIError or *OAuthError matches the
// sentinel of its class with errors.Is.
var (
	// ErrInvalidSession: the access token was rejected (REST 401
	// INVALID_SESSION_ID). The client refreshes once and retries before
	// returning it.
	ErrInvalidSession = errors.New("session expired or invalid")
	// ErrRequestLimitExceeded: the org's daily API allocation is spent (403
	// REQUEST_LIMIT_EXCEEDED). Classify calls it a Limit: do not retry
	// soon; stop or pause until usage falls.
	ErrRequestLimitExceeded = errors.New("API request limit exceeded")
	// ErrNotFound: the resource or record does not exist (404 NOT_FOUND).
	ErrNotFound = errors.New("not found")
	// ErrInvalidField: a field name in a query or request is unknown (400 INVALID_FIELD).
	ErrInvalidField = errors.New("invalid field")
	// ErrMalformedQuery: the SOQL does not parse (400 MALFORMED_QUERY).
	ErrMalformedQuery = errors.New("malformed query")
	// ErrServerUnavailable: a 5xx answer; transient.
	ErrServerUnavailable = errors.New("server error at Salesforce")

	// ErrInvalidGrant: the token endpoint refused the grant (invalid_grant):
	// a revoked refresh token, an expired JWT assertion, a user who has not
	// approved the app. Needs a person; retrying does not help.
	ErrInvalidGrant = errors.New("OAuth grant refused")
	// ErrInvalidClient: the consumer key or secret is wrong.
	ErrInvalidClient = errors.New("OAuth client credentials refused")
	// ErrNotLoggedIn: the web-server flow has no stored refresh token.
	ErrNotLoggedIn = errors.New("not logged in to Salesforce")
	// ErrRefreshBackoff: a recent refresh failed and the next attempt is
	// not due yet; the error also wraps that failure.
	ErrRefreshBackoff = errors.New("session refresh is backing off after a failure")
	// ErrUntrustedURL: a URL from a response (instance_url, nextRecordsUrl)
	// points somewhere sfcdc will not send a token.
	ErrUntrustedURL = errors.New("untrusted URL")
)

// APIError is a REST API error answer: the HTTP status and the first
// element of Salesforce's error array.
type APIError struct {
	StatusCode int
	Code       string   // errorCode, e.g. INVALID_FIELD
	Message    string   // message, as Salesforce wrote it
	Fields     []string // fields, when the error names some
}

func (e *APIError) Error() string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code == "" {
		return fmt.Sprintf("Salesforce API answered %d: %s", e.StatusCode, oneLine(msg))
	}
	return fmt.Sprintf("Salesforce API answered %d %s: %s", e.StatusCode, e.Code, oneLine(msg))
}

// Is matches the sentinel of the error's class.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidSession:
		return e.Code == "INVALID_SESSION_ID"
	case ErrRequestLimitExceeded:
		return e.Code == "REQUEST_LIMIT_EXCEEDED"
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.Code == "NOT_FOUND"
	case ErrInvalidField:
		return e.Code == "INVALID_FIELD"
	case ErrMalformedQuery:
		return e.Code == "MALFORMED_QUERY"
	case ErrServerUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// oneLine folds Salesforce's multi-line query messages into one line so
// they fit log lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// OAuthError is a token endpoint refusal: {"error", "error_description"}.
type OAuthError struct {
	StatusCode  int
	Code        string // error, e.g. invalid_grant
	Description string // error_description
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("Salesforce OAuth answered %d %s", e.StatusCode, e.Code)
	}
	return fmt.Sprintf("Salesforce OAuth answered %d %s: %s", e.StatusCode, e.Code, oneLine(e.Description))
}

// Is matches ErrInvalidGrant and ErrInvalidClient.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrInvalidClient:
		return e.Code == "invalid_client" || e.Code == "invalid_client_id"
	case ErrServerUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// Permanent reports whether only a person can fix the refusal (bad
// credentials, revoked grant), as opposed to a server hiccup.
func (e *OAuthError) Permanent() bool {
	return e.StatusCode < 500 && e.Code != "temporarily_unavailable" && !e.AlreadyProcessing()
}

// AlreadyProcessing reports Salesforce's refusal of a second token request
// with a refresh token while one is in flight (since Summer '24: 400
// invalid_grant "token request is already being processed"). The grant is
// fine: ask again after a short, jittered wait.
func (e *OAuthError) AlreadyProcessing() bool {
	return e.Code == "invalid_grant" && strings.Contains(strings.ToLower(e.Description), "already being processed")
}
