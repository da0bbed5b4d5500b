package salesforce

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// serverClock is how far Salesforce's clock is from this host's, as the
// Date header of the last answer showed it.
type serverClock struct {
	offset time.Duration // server minus local
	known  bool
}

// noteServerDate records the offset of Salesforce's clock from an answer's
// Date header, read when the answer arrived. The header has whole seconds
// and is stamped before the answer left, so the estimate lies up to about
// a second behind Salesforce's clock: an instant taken from it is never
// later than Salesforce's own, which is the safe side for a start instant
// (events before it are passed as covered).
func (c *Client) noteServerDate(header string, received time.Time) {
	if header == "" {
		return
	}
	at, err := http.ParseTime(header)
	if err != nil {
		c.log.Debug("ignored a malformed Date header", "error", err)
		return
	}
	c.usageMu.Lock()
	c.clock = serverClock{offset: at.Sub(received), known: true}
	c.usageMu.Unlock()
}

// ServerNow is the current time on Salesforce's clock, estimated from the
// Date header of the last answer (asking for the API versions, which costs
// no API call, when no answer came yet). A host whose clock is off by
// minutes would otherwise pass, as already read, changes that Salesforce
// committed after a backfill started.
func (c *Client) ServerNow(ctx context.Context) (time.Time, error) {
	if now, ok := c.serverNow(); ok {
		return now, nil
	}
	return c.AskServerTime(ctx)
}

// AskServerTime reads Salesforce's current time from a new answer (the
// API versions, which cost no API call): the instant bounding a load
// that begins now, taken fresh rather than from an answer that may be
// hours old.
func (c *Client) AskServerTime(ctx context.Context) (time.Time, error) {
	req := request{method: http.MethodGet, path: "/services/data/"}
	if err := c.do(ctx, req, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }); err != nil {
		return time.Time{}, fmt.Errorf("read Salesforce's clock: %w", err)
	}
	if now, ok := c.serverNow(); ok {
		return now, nil
	}
	return time.Time{}, fmt.Errorf("read Salesforce's clock: the answer to %s had no Date header", req)
}

func (c *Client) serverNow() (time.Time, bool) {
	c.usageMu.Lock()
	clock := c.clock
	c.usageMu.Unlock()
	if !clock.known {
		return time.Time{}, false
	}
	return time.Now().Add(clock.offset), true
}
