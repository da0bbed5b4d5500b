package uploader

import (
	"net/http"
	"strings"
)

// verdict is what an answer means for the request that got it.
type verdict uint8

const (
	// verdictOK: delivered.
	verdictOK verdict = iota
	// verdictRetry: transient; send the same request again after a wait.
	verdictRetry
	// verdictSplit: CM refused something in the batch; split it to find
	// the refused comments, which become dead letters.
	verdictSplit
	// verdictFatal: retrying cannot help; stop with a FatalError.
	verdictFatal
)

var verdictNames = [...]string{"ok", "retry", "split", "fatal"}

func (v verdict) String() string { return verdictNames[v] }

// operation is the kind of request, since a 404 means different things.
type operation uint8

const (
	opSync operation = iota
	opDelete
)

// classify is the one place where an HTTP status becomes behaviour.
// Network errors are transient as well, and so are 2xx bodies that are not
// CM's JSON until they show that base_url is not CM (cmClient.decode); the
// callers wrap them before they get here.
func classify(op operation, status int) (verdict, error) {
	switch {
	case status >= 200 && status < 300:
		return verdictOK, nil
	case status == http.StatusNotFound && op == opDelete:
		return verdictOK, nil // comments already gone, or the source is: deleteComments asks which
	case status == http.StatusNotFound:
		return verdictFatal, ErrSourceNotFound
	case status == http.StatusRequestTimeout, status == http.StatusConflict,
		status == http.StatusTooManyRequests, status >= 500 && status < 600:
		return verdictRetry, nil
	case status == http.StatusBadRequest, status == http.StatusRequestEntityTooLarge,
		status == http.StatusUnprocessableEntity:
		return verdictSplit, nil
	case status == http.StatusUnauthorized:
		return verdictFatal, ErrUnauthorized
	case status == http.StatusForbidden:
		return verdictFatal, ErrForbidden
	}
	return verdictFatal, ErrUnexpectedStatus
}

// isQuotaMessage says whether CM's message refuses a request because a
// quota is full (comments per source, comments per tenant). CM documents
// the quota kinds but not the answer; the one public wording is its
// Exchange integration's "upload quota reached", so the word "quota" in a
// refusal is the sign. Splitting such a batch would dead-letter comments
// that are fine, and retrying it would only be refused again: the uploader
// stops with ErrQuotaReached, its comments unsent and unchecked, and they
// are sent once the quota allows (after a restart).
func isQuotaMessage(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "quota")
}
