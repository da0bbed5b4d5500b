package uploader

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// maxAnswerBytes bounds how much of an answer is read. CM's answers to
// sync and delete are under 100 bytes; the largest one sfcdc asks for is
// the source lookup, {"status":"ok","source":{…}}, whose longest field, the
// description (at most 16,384 characters), is under 100 KB even with every
// character escaped as \uXXXX. 1 MiB is ten times that; a longer body is a
// web page, a file or a misbehaving proxy, and is not buffered.
const maxAnswerBytes = 1 << 20

// notCMAnswersLimit is how many 2xx answers in a row that cannot be read
// as CM's JSON stop the uploader: a real CM answers every request with its
// JSON envelope, so a streak means base_url points at something else
// (a web page answers 200 to anything). One stray answer, e.g. from a
// proxy during a failover, is retried; sync and delete are idempotent.
const notCMAnswersLimit = 3

// cmClient sends single requests and classifies the answers. It never
// retries; withRetries does.
type cmClient struct {
	http        *http.Client
	sourceURL   string
	syncURL     string
	commentsURL string
	auth        string // "Bearer <token>"; never formatted or logged
	now         func() time.Time
	notCM       atomic.Int32 // 2xx answers in a row that were not CM's
	log         *slog.Logger
	slowAfter   time.Duration // a request still waiting then is logged
	timeout     time.Duration // RequestTimeout, for that log line
	maySend     func() bool   // Options.MaySend; nil: always
}

// errMayNotSend: Options.MaySend refused a request; not transient, so the
// comments are reported not delivered at once.
var errMayNotSend = fmt.Errorf("%w: the sender may no longer send (its lease ran out)", ErrStopped)

// request is one request to CM.
type request struct {
	kind     string // sync, delete or source lookup, for the slow-request line
	comments int    // comments it carries or deletes
	method   string
	target   string
	body     *batchBody // nil: none
}

// answer is what came back for one request.
type answer struct {
	status   int
	body     []byte // at most maxAnswerBytes
	header   http.Header
	tooLarge bool // the body went on past maxAnswerBytes
}

func newCMClient(cfg Config, hc *http.Client, now func() time.Time, log *slog.Logger) *cmClient {
	sourcePath := cfg.BaseURL + "/api/v1/sources/" + url.PathEscape(cfg.Project) + "/" + url.PathEscape(cfg.Source)
	return &cmClient{
		http: hc, sourceURL: sourcePath, syncURL: sourcePath + "/sync", commentsURL: sourcePath + "/comments",
		auth: "Bearer " + string(cfg.Token), now: now,
		log: log, slowAfter: cfg.SlowRequestAfter, timeout: cfg.RequestTimeout,
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

// sync posts one batch body of the given number of comments.
func (c *cmClient) sync(ctx context.Context, body batchBody, comments int) (syncCounts, error) {
	a, err := c.send(ctx, request{kind: "sync", comments: comments, method: http.MethodPost, target: c.syncURL, body: &body})
	if err != nil {
		return syncCounts{}, err
	}
	if err := c.judge(opSync, a); err != nil {
		return syncCounts{}, err
	}
	var counts syncCounts
	err = c.decode("sync", a, func(body []byte) (err error) {
		counts, err = decodeSyncResponse(body)
		return err
	})
	return counts, err
}

// deleteComments deletes comments by ID.
func (c *cmClient) deleteComments(ctx context.Context, ids []string) error {
	q := url.Values{"id": ids}
	a, err := c.send(ctx, request{kind: "delete", comments: len(ids), method: http.MethodDelete, target: c.commentsURL + "?" + q.Encode()})
	if err != nil {
		return err
	}
	if err := c.judge(opDelete, a); err != nil {
		return err
	}
	if a.status == http.StatusNotFound {
		return c.sourceExists(ctx, len(ids)) // comments already gone, unless the source is
	}
	return c.decode("delete", a, decodeStatusOK)
}

// sourceExists tells the two meanings of a 404 to a delete apart: CM
// answers 404 both for comments that are already gone (a retried delete,
// the goal reached) and for a source that does not exist (a wrong project
// or source name, which must stop the uploader rather than let deletes
// count as done). Only the source lookup says which, without relying on
// the wording of CM's message.
func (c *cmClient) sourceExists(ctx context.Context, comments int) error {
	a, err := c.send(ctx, request{kind: "source lookup after a delete", comments: comments, method: http.MethodGet, target: c.sourceURL})
	if err != nil {
		return err
	}
	if err := c.judge(opSync, a); err != nil { // 404 here: ErrSourceNotFound
		return err
	}
	// A web page at base_url answers 200 here too: only CM's envelope
	// says the source exists.
	return c.decode("source lookup", a, decodeStatusOK)
}

// judge turns a non-OK verdict into the matching error.
func (c *cmClient) judge(op operation, a answer) error {
	v, sentinel := classify(op, a.status)
	var body []byte
	if v != verdictOK {
		body = c.scrub(a.body)
	}
	switch v {
	case verdictRetry:
		after, ok := parseRetryAfter(a.header, c.now())
		return &transientError{status: a.status, retryAfter: after, hasAfter: ok,
			err: fmt.Errorf("%s", orStatusText(decodeErrorMessage(body), a.status))}
	case verdictSplit:
		msg := decodeErrorMessage(body)
		if isQuotaMessage(msg) {
			return &FatalError{Status: a.status, Message: msg, Err: ErrQuotaReached}
		}
		return &rejectError{status: a.status, message: orStatusText(msg, a.status)}
	case verdictFatal:
		if msg := decodeErrorMessage(body); isQuotaMessage(msg) {
			return &FatalError{Status: a.status, Message: msg, Err: ErrQuotaReached}
		}
		return &FatalError{Status: a.status, Message: decodeErrorMessage(body), Err: sentinel}
	}
	return nil
}

// decode reads a 2xx answer to a request of the given kind with read.
// An answer that is not CM's (too large, not JSON, not the envelope) is
// retried, as CM may have done the work and only a proxy spoilt the
// answer; but once notCMAnswersLimit of them come in a row, or one comes
// with a content type other than JSON, base_url is taken to point at
// something else than the CM API and the uploader stops.
func (c *cmClient) decode(kind string, a answer, read func([]byte) error) error {
	var err error
	if a.tooLarge {
		err = fmt.Errorf("read %s answer: answer too large (more than %d bytes)", kind, maxAnswerBytes)
	} else {
		err = read(c.scrub(a.body))
	}
	if err == nil {
		c.notCM.Store(0)
		return nil
	}
	n := c.notCM.Add(1)
	mediaType, isJSON := jsonContentType(a.header)
	switch {
	case !isJSON:
		return &FatalError{Status: a.status, Err: ErrNotCMAPI,
			Message: fmt.Sprintf("the answer is %s, not JSON: %v", mediaType, err)}
	case n >= notCMAnswersLimit:
		return &FatalError{Status: a.status, Err: ErrNotCMAPI,
			Message: fmt.Sprintf("%d answers in a row were not CM's JSON; the last: %v", n, err)}
	}
	return &transientError{status: a.status, err: err}
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

// send performs one request and reads the answer, up to maxAnswerBytes.
// Network failures come back as transient errors whose text names the
// operation, never headers. A request still waiting for its answer after
// SlowRequestAfter is logged once, long before RequestTimeout ends it.
func (c *cmClient) send(ctx context.Context, r request) (answer, error) {
	method, target, body := r.method, r.target, r.body
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return answer{}, &FatalError{Err: ErrUnexpectedStatus, Message: "build request: " + err.Error()}
	}
	if c.slowAfter > 0 {
		start := time.Now()
		slow := time.AfterFunc(c.slowAfter, func() {
			c.log.Warn("CM request is slow; still waiting for the answer", "request", r.kind, "comments", r.comments,
				"elapsed", time.Since(start).Round(time.Millisecond), "request_timeout", c.timeout)
		})
		defer slow.Stop()
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
	if c.maySend != nil && !c.maySend() {
		return answer{}, errMayNotSend
	}
	resp, err := c.http.Do(req)
	if err != nil && isCertificateError(err) {
		return answer{}, &FatalError{Err: ErrUntrustedCertificate, Message: unwrapURLError(err).Error()}
	}
	if err != nil {
		return answer{}, &transientError{err: fmt.Errorf("send %s %s: %w", method, redactQuery(target), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	// One byte past the limit tells a body of exactly maxAnswerBytes from
	// a longer one, which is not read further.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return answer{}, &transientError{err: fmt.Errorf("read answer to %s %s: %w", method, redactQuery(target), err)}
	}
	a := answer{status: resp.StatusCode, body: data, header: resp.Header}
	if len(data) > maxAnswerBytes {
		a.body, a.tooLarge = data[:maxAnswerBytes], true
	}
	return a, nil
}

// jsonContentType returns an answer's media type, cleaned for messages,
// and whether it is JSON (application/json or a +json type). An answer
// without a Content-Type counts as JSON: its body decides.
func jsonContentType(h http.Header) (string, bool) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "", true
	}
	mediaType, _, err := mime.ParseMediaType(v)
	if err != nil {
		return "an unreadable content type", false
	}
	return truncateMessage(mediaType), mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
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
