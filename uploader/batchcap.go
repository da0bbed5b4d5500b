package uploader

import (
	"fmt"
	"sync/atomic"
)

// batchCap is the most comments a sync request carries now. It starts at
// MaxBatchComments. A real CM takes longer over a sync the more comments
// it carries, so a sync that outlasts RequestTimeout would time out again
// if sent whole, for ever, resending (and making CM re-read) the same
// thousands of comments; instead each such timeout halves the cap, and the
// cap grows back by an eighth per sync accepted at the cap, so a CM that
// recovers gets full batches again after a few dozen requests. It is
// shared by the batcher, which cuts batches to it, and the senders, which
// shrink or grow it, hence atomic.
type batchCap struct {
	most int64
	n    atomic.Int64
}

func newBatchCap(most int) *batchCap {
	c := &batchCap{most: int64(most)}
	c.n.Store(int64(most))
	return c
}

// get returns the cap.
func (c *batchCap) get() int { return int(c.n.Load()) }

// shrink halves the cap after a sync of sent comments timed out: half of
// sent when that is below the cap (a partial batch timed out), never
// below one. It returns the new cap.
func (c *batchCap) shrink(sent int) int {
	for {
		cur := c.n.Load()
		next := max(min(cur, int64(sent))/2, 1)
		if next >= cur {
			return int(cur)
		}
		if c.n.CompareAndSwap(cur, next) {
			return int(next)
		}
	}
}

// grow raises the cap by an eighth (at least one) after a sync of sent
// comments was accepted, if it carried as many as the cap allows: a
// smaller sync says nothing about whether a larger one would make it.
func (c *batchCap) grow(sent int) {
	for {
		cur := c.n.Load()
		if int64(sent) < cur || cur >= c.most {
			return
		}
		if c.n.CompareAndSwap(cur, min(cur+max(cur/8, 1), c.most)) {
			return
		}
	}
}

// overCapError ends a sync attempt that would carry more comments than
// the cap allows, either because this request outlasted RequestTimeout
// (timedOut) or because another one did since it was cut. It is not
// transient, and does not unwrap to the timeout (which is): the same
// request is not sent again; syncOps sends its comments in requests
// within the cap instead.
type overCapError struct {
	comments int
	timedOut error // the timeout, if this request's attempt had one
}

func (e *overCapError) Error() string {
	if e.timedOut != nil {
		return fmt.Sprintf("a sync of %d comments outlasted request_timeout: %v", e.comments, e.timedOut)
	}
	return fmt.Sprintf("a sync of %d comments is over the current cap", e.comments)
}
