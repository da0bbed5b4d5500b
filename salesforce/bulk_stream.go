package salesforce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// openStream sends a request whose answer is read as a stream (a Bulk
// results page), retrying once with a refreshed session like do. The
// caller closes the returned body.
//
// The client's RequestTimeout would bound the whole download, which a
// large page read at the pace of a slow consumer can exceed; instead it
// bounds the wait for the answer's headers and then each read that waits
// for data (a stall), never the time the consumer spends between reads.
func (c *Client) openStream(ctx context.Context, req request) (*http.Response, error) {
	sess, err := c.creds.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", req, err)
	}
	resp, err := c.openStreamOnce(ctx, sess, req)
	if !errors.Is(err, ErrInvalidSession) {
		return resp, err
	}
	fresh, rerr := c.creds.Refresh(ctx, sess)
	if rerr != nil {
		return nil, fmt.Errorf("%w (refreshing the session failed: %w)", err, rerr)
	}
	return c.openStreamOnce(ctx, fresh, req)
}

func (c *Client) openStreamOnce(ctx context.Context, sess Session, req request) (*http.Response, error) {
	if err := checkResourcePath(req.path); err != nil {
		return nil, fmt.Errorf("call %s: %w", req, err)
	}
	target := strings.TrimRight(sess.InstanceURL, "/") + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	sctx, cancel := context.WithCancel(ctx)
	watch := newStallWatch(c.http.Timeout, cancel)
	hr, err := http.NewRequestWithContext(sctx, req.method, target, nil)
	if err != nil {
		watch.stop()
		return nil, fmt.Errorf("call %s: %w", req, err)
	}
	hr.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	hr.Header.Set("Accept", "text/csv")
	// No Accept-Encoding: the Transport then asks for gzip itself and
	// decompresses transparently, exactly once.
	stream := *c.http
	stream.Timeout = 0
	c.calls.Add(1)
	resp, err := stream.Do(hr)
	watch.pause()
	if err != nil {
		watch.stop()
		return nil, fmt.Errorf("call %s: %w", req, watch.explain(err))
	}
	c.noteLimitInfo(resp.Header.Get("Sforce-Limit-Info"))
	c.noteServerDate(resp.Header.Get("Date"), time.Now())
	c.log.Debug("REST call", "call", req.String(), "status", resp.StatusCode)
	body := &stallBody{ReadCloser: resp.Body, watch: watch}
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
		body.Close()
		return nil, fmt.Errorf("call %s: %w", req, decodeAPIError(resp.StatusCode, raw))
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		body.Close()
		return nil, fmt.Errorf("call %s: the answer is encoded as %q, which sfcdc does not decode", req, enc)
	}
	resp.Body = body
	return resp, nil
}

// stallWatch cancels a request when a wait for data lasts longer than d.
type stallWatch struct {
	d      time.Duration
	timer  *time.Timer
	fired  atomic.Bool
	cancel context.CancelFunc
}

// newStallWatch starts watching at once (the wait for the headers); d ≤ 0
// watches nothing.
func newStallWatch(d time.Duration, cancel context.CancelFunc) *stallWatch {
	w := &stallWatch{d: d, cancel: cancel}
	if d > 0 {
		w.timer = time.AfterFunc(d, func() { w.fired.Store(true); cancel() })
	}
	return w
}

func (w *stallWatch) arm() {
	if w.timer != nil {
		w.timer.Reset(w.d)
	}
}

func (w *stallWatch) pause() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// stop ends the watch and releases the request's context.
func (w *stallWatch) stop() {
	w.pause()
	w.cancel()
}

// explain names a stall as such rather than as a cancelled context.
func (w *stallWatch) explain(err error) error {
	if w.fired.Load() {
		return fmt.Errorf("no data from Salesforce for %s: %w", w.d, err)
	}
	return err
}

// stallBody is a response body read under a stallWatch.
type stallBody struct {
	io.ReadCloser
	watch *stallWatch
}

func (b *stallBody) Read(p []byte) (int, error) {
	b.watch.arm()
	n, err := b.ReadCloser.Read(p)
	b.watch.pause()
	if err != nil && err != io.EOF {
		err = b.watch.explain(err)
	}
	return n, err
}

func (b *stallBody) Close() error {
	err := b.ReadCloser.Close()
	b.watch.stop()
	return err
}
