package salesforce

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
)

// Class is what a failed Salesforce call means to its caller: whether, and
// when, the same call may succeed.
type Class int

const (
	// Transient: a server error (5xx), a refused or cut connection, a
	// timeout, a token refresh that is backing off after such a failure.
	// Retry with backoff (package retry); the same call may pass soon.
	Transient Class = iota + 1
	// Limit: an allocation of the org is spent (REST 403
	// REQUEST_LIMIT_EXCEEDED, the Bulk API 2.0 query allocation). Retrying
	// soon only spends more of it: stop, keep the progress, and try again
	// after a long pause (the daemon pauses only the topic that met it).
	Limit
	// Fatal: no retry can change the answer — a bad query or field, a
	// missing record or object, a refused permission, bad credentials or
	// grant, an untrusted certificate or URL, an invalid configuration,
	// and any failure this package does not recognise. Stop (or dead-letter
	// the one record) with the error.
	Fatal
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Limit:
		return "limit"
	case Fatal:
		return "fatal"
	}
	return "none"
}

// Classify is the one classification of Salesforce failures: every caller
// of the REST client, the Bulk client and Credentials decides retry, pause
// or stop by it. nil has no class (0). The caller's own cancellation is
// Fatal: nothing is left to retry.
func Classify(err error) Class {
	if err == nil {
		return 0
	}
	// Checked first: an OAuth refusal may come wrapped in ErrRefreshBackoff,
	// and a refusal only a person can fix stays fatal however it arrives.
	var oauth *OAuthError
	if errors.As(err, &oauth) {
		if oauth.Permanent() {
			return Fatal
		}
		return Transient
	}
	var api *APIError
	switch {
	case errors.Is(err, ErrRequestLimitExceeded), errors.Is(err, ErrBulkLimitExceeded):
		return Limit
	case errors.Is(err, ErrUntrustedCertificate), errors.Is(err, ErrUntrustedURL), errors.Is(err, ErrInvalidConfig),
		errors.Is(err, ErrNotLoggedIn), errors.Is(err, context.Canceled):
		return Fatal
	case errors.Is(err, ErrBulkResultsIncomplete), errors.Is(err, ErrBulkJobNotComplete):
		return Transient // the same locator or job, asked again, answers in full
	case errors.As(err, &api):
		if api.StatusCode >= 500 || api.StatusCode == http.StatusTooManyRequests {
			return Transient
		}
		return Fatal
	case errors.Is(err, ErrRefreshBackoff), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded):
		return Transient
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Transient
	}
	return Fatal
}
