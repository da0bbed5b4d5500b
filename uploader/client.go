package uploader

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswerBytes bounds how much of an answer is read: CM's answers to sync
// and delete are tiny, and a misbehaving proxy must not make us buffer
// megabytes.
const maxAnswerBytes = 1 << 20

// cmClient sends single requests and classifies the answers. It never
// retries; withRetries does.
type cmClient struct {
	http        *http.Client
	sourceURL   string
	syncURL     string
	commentsURL string
	auth        string // "Bearer <token>"; never formatted or logged
	now         func() time.Time
}

func newCMClient(cfg Config, hc *http.Client, now func() time.Time) *cmClient {
	sourcePath := cfg.BaseURL + "/api/v1/sources/" + url.PathEscape(cfg.Project) + "/" + url.PathEscape(cfg.Source)
	return &cmClient{
		http: hc, sourceURL: sourcePath, syncURL: sourcePath + "/sync", commentsURL: sourcePath + "/comments",
		auth: "Bearer " + string(cfg.Token), now: now,
	}
}

// defaultHTTPClient does not follow redirects: a redirect means a wrong
// base URL, and following one would send the token elsewhere.
func defaultHTTPClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = concurrency + 2
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// sync posts one batch body.
func (c *cmClient) sync(ctx context.Context, body batchBody) (syncCounts, error) {
	status, answer, header, err := c.send(ctx, http.MethodPost, c.syncURL, &body)
	if err != nil {
		return syncCounts{}, err
	}
	if err := c.judge(opSync, status, answer, header); err != nil {
		return syncCounts{}, err
	}
	counts, err := decodeSyncResponse(answer)
	if err != nil {
		return syncCounts{}, &transientError{status: status, err: err}
	}
	return counts, nil
}

// deleteComments deletes comments by ID.
func (c *cmClient) deleteComments(ctx context.Context, ids []string) error {
	q := url.Values{"id": ids}
	status, answer, header, err := c.send(ctx, http.MethodDelete, c.commentsURL+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if err := c.judge(opDelete, status, answer, header); err != nil {
		return err
	}
	if status == http.StatusNotFound {
		return c.sourceExists(ctx) // comments already gone, unless the source is
	}
	if err := decodeStatusOK(answer); err != nil {
		return &transientError{status: status, err: err}
	}
	return nil
}

// sourceExists tells the two meanings of a 404 to a delete apart: CM
// answers 404 both for comments that are already gone (a retried delete,
// the goal reached) and for a source that does not exist (a wrong project
// or source name, which must stop the uploader rather than let deletes
// count as done). Only the source lookup says which, without relying on
// the wording of CM's message.
func (c *cmClient) sourceExists(ctx context.Context) error {
	status, answer, header, err := c.send(ctx, http.MethodGet, c.sourceURL, nil)
	if err != nil {
		return err
	}
	return c.judge(opSync, status, answer, header) // 404 here: ErrSourceNotFound
}

// judge turns a non-OK verdict into the matching error.
func (c *cmClient) judge(op operation, status int, answer []byte, header http.Header) error {
	v, sentinel := classify(op, status)
	if v != verdictOK {
		answer = c.scrub(answer)
	}
	switch v {
	case verdictRetry:
		after, ok := parseRetryAfter(header, c.now())
		return &transientError{status: status, retryAfter: after, hasAfter: ok,
			err: fmt.Errorf("%s", orStatusText(decodeErrorMessage(answer), status))}
	case verdictSplit:
		return &rejectError{status: status, message: orStatusText(decodeErrorMessage(answer), status)}
	case verdictFatal:
		return &FatalError{Status: status, Message: decodeErrorMessage(answer), Err: sentinel}
	}
	return nil
}

// scrub blanks the API token wherever an answer repeats it (a proxy or
// a faulty server echoing the request), since CM's message goes into
// errors, logs, dead letters and the status key.
func (c *cmClient) scrub(answer []byte) []byte {
	token := strings.TrimPrefix(c.auth, "Bearer ")
	if token == "" || !bytes.Contains(answer, []byte(token)) {
		return answer
	}
	return bytes.ReplaceAll(answer, []byte(token), []byte(redacted))
}

func orStatusText(msg string, status int) string {
	if msg == "" {
		return http.StatusText(status)
	}
	return msg
}

// send performs one request and reads the answer. Network failures come
// back as transient errors whose text names the operation, never headers.
func (c *cmClient) send(ctx context.Context, method, target string, body *batchBody) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return 0, nil, nil, &FatalError{Err: ErrUnexpectedStatus, Message: "build request: " + err.Error()}
	}
	if body != nil {
		req.Body, req.ContentLength = io.NopCloser(body.reader()), body.size
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body.reader()), nil }
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "sfcdc")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil && isCertificateError(err) {
		return 0, nil, nil, &FatalError{Err: ErrUntrustedCertificate, Message: unwrapURLError(err).Error()}
	}
	if err != nil {
		return 0, nil, nil, &transientError{err: fmt.Errorf("send %s %s: %w", method, redactQuery(target), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, nil, &transientError{err: fmt.Errorf("read answer to %s %s: %w", method, redactQuery(target), err)}
	}
	return resp.StatusCode, answer, resp.Header, nil
}

// redactQuery drops the query (comment IDs of a delete) from URLs in
// error messages: they are long and say nothing about the failure.
func redactQuery(target string) string {
	base, _, _ := strings.Cut(target, "?")
	return base
}

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats
// the full URL; send adds the URL without its query itself.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// isCertificateError reports whether err is a failed verification of the
// server's certificate, which no retry can fix.
func isCertificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
