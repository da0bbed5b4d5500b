package uploader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// ErrUnavailable: CM could not be asked (no connection, a timeout) or
// answered that it cannot serve now (5xx, 429); asking later may succeed.
var ErrUnavailable = errors.New("CM is unavailable")

// CheckTarget asks CM, with one read-only request (GET of the source),
// whether cfg's base URL is the CM API root, its token is accepted and its
// project and source exist: what a pre-flight check needs before the
// first upload, without sending a comment. A read needs less than an
// upload, so it cannot show that the token's user may "Edit messages";
// the first sync does. hc nil: a client that does not follow redirects.
//
// It returns nil; a *FatalError (ErrUnauthorized, ErrForbidden,
// ErrSourceNotFound, ErrUnexpectedStatus, ErrUntrustedCertificate,
// ErrNotCMAPI); or an error wrapping ErrUnavailable. No error holds the
// token.
func CheckTarget(ctx context.Context, cfg Config, hc *http.Client) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("check CM source: %w", err)
	}
	cfg = cfg.withDefaults()
	if hc == nil {
		hc = defaultHTTPClient(1)
		defer hc.CloseIdleConnections()
	}
	c := newCMClient(cfg, hc, time.Now, slog.New(slog.DiscardHandler))
	a, err := c.send(ctx, request{kind: "source check", method: http.MethodGet, target: c.sourceURL})
	if err != nil {
		return checkFailure(err)
	}
	if err := c.judge(opSync, a); err != nil {
		return checkFailure(err)
	}
	if a.tooLarge {
		return &FatalError{Status: a.status, Err: ErrNotCMAPI, Message: fmt.Sprintf("the answer is larger than %d bytes", maxAnswerBytes)}
	}
	if err := decodeStatusOK(c.scrub(a.body)); err != nil {
		// One answer decides here: nothing was written that a retry
		// could confirm, and a web page answers 200 to any path.
		return &FatalError{Status: a.status, Err: ErrNotCMAPI, Message: err.Error()}
	}
	return nil
}

// checkFailure sorts the source check's errors: a refusal stays a
// *FatalError; a retryable answer or a network failure is ErrUnavailable;
// a batch refusal (400, 413, 422, meaningless for a GET) says that
// base_url does not lead to CM's API.
func checkFailure(err error) error {
	var fatal *FatalError
	var transient *transientError
	var reject *rejectError
	switch {
	case errors.As(err, &fatal):
		return err
	case errors.As(err, &transient):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.As(err, &reject):
		return &FatalError{Status: reject.status, Message: reject.message, Err: ErrUnexpectedStatus}
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
