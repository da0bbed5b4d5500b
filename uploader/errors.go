package uploader

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrStopped: the uploader stopped before the comment was delivered.
	// The caller must not checkpoint past it; it is sent again after a
	// restart.
	ErrStopped = errors.New("uploader stopped before delivery")
	// ErrUnauthorized: CM refused the API token (401).
	ErrUnauthorized = errors.New("CM refused the API token")
	// ErrForbidden: the token lacks a permission (403).
	ErrForbidden = errors.New("CM token lacks permission")
	// ErrSourceNotFound: the project or source does not exist (404 on sync).
	ErrSourceNotFound = errors.New("CM source not found")
	// ErrQuotaReached: CM refused the upload because a quota is full (the
	// comments of the source or of the tenant). Retrying cannot help until
	// the quota is raised or space is freed.
	ErrQuotaReached = errors.New("the CM upload quota is reached")
	// ErrUnexpectedStatus: CM answered a status sfcdc does not know how to
	// handle (e.g. a redirect), which points at a wrong base URL.
	ErrUnexpectedStatus = errors.New("unexpected answer from CM")
	// ErrUntrustedCertificate: CM's TLS certificate did not verify against
	// the system roots; the token was not sent. Retrying cannot help.
	ErrUntrustedCertificate = errors.New("CM's TLS certificate is not trusted")
	// ErrNotCMAPI: the server at base_url answers 2xx, but not with CM's
	// JSON (a web page, a file, an answer too large), several times in a
	// row or with a content type other than JSON: base_url is not the CM
	// API root.
	ErrNotCMAPI = errors.New("the server does not answer like the CM API")
)

// FatalError stops the uploader: retrying cannot help and the
// configuration must change. It wraps one of ErrUnauthorized,
// ErrForbidden, ErrSourceNotFound, ErrQuotaReached, ErrUnexpectedStatus,
// ErrUntrustedCertificate or ErrNotCMAPI.
type FatalError struct {
	Status  int    // 0 when no answer came (ErrUntrustedCertificate)
	Message string // CM's message, if any; what was wrong with the answer for ErrNotCMAPI; the local failure when Status is 0
	Err     error
}

func (e *FatalError) Error() string {
	fix := e.Fix()
	msg := fmt.Sprintf("upload to CM: %d %s: %v; %s", e.Status, http.StatusText(e.Status), e.Err, fix)
	switch {
	case e.Status == 0: // no answer: Message is the local failure, not CM's words
		return fmt.Sprintf("upload to CM: %v (%s); %s", e.Err, e.Message, fix)
	case errors.Is(e.Err, ErrNotCMAPI): // Message is what was wrong with the answers
		return fmt.Sprintf("upload to CM: %d %s: %v (%s); %s", e.Status, http.StatusText(e.Status), e.Err, e.Message, fix)
	}
	if e.Message != "" {
		msg += " (CM said: " + e.Message + ")"
	}
	return msg
}

// Fix says what to change for the error's class, naming the setting.
func (e *FatalError) Fix() string {
	return map[error]string{
		ErrUnauthorized:     "check token: it must be a valid CM API token",
		ErrForbidden:        "grant the token's user the \"Edit messages\" permission on the source",
		ErrSourceNotFound:   "check project and source, or create the source in CM",
		ErrQuotaReached:     "raise the CM quota or free space in the source; the unsent comments are sent from the checkpoint once it allows",
		ErrUnexpectedStatus: "check commsmining.base_url: it must be the CM API root, " + baseURLForms,
		ErrUntrustedCertificate: "check commsmining.base_url, or if a private CA signs the certificate (a TLS-inspecting proxy) " +
			"point SSL_CERT_FILE at a CA bundle that includes it",
		ErrNotCMAPI: "check commsmining.base_url: it does not look like the CM API root, which is " + baseURLForms,
	}[e.Err]
}

func (e *FatalError) Unwrap() error { return e.Err }

// RejectedError is the dead-letter reason of a comment CM refused on its
// own (400, 413 or 422 for a batch of one).
type RejectedError struct {
	Status  int
	Message string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("CM rejected the comment: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// transientError is an answer worth retrying; it never leaves the package.
type transientError struct {
	status     int           // 0 for network and protocol errors
	retryAfter time.Duration // from the Retry-After header, if hasAfter
	hasAfter   bool
	err        error
}

func (e *transientError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("CM answered %d %s: %v", e.status, http.StatusText(e.status), e.err)
	}
	return e.err.Error()
}

func (e *transientError) Unwrap() error { return e.err }

// rejectError is a 400/413/422 for a whole request; the batch is split.
type rejectError struct {
	status  int
	message string
}

func (e *rejectError) Error() string {
	return fmt.Sprintf("CM rejected the batch: %d: %s", e.status, e.message)
}
