package uploader

import (
	"net/url"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
)

// op is the pending work for one comment ID: the latest item, the tokens
// of every item it stands for, and what its hashes decided.
type op[T any] struct {
	id     string
	delete bool
	result mapper.Result
	action mapper.Action
	prev   mapper.Hashes // the hashes last uploaded, if known
	known  bool
	// unsure means the hash store could not be read for this ID: it may
	// hold hashes of the version CM has now.
	unsure bool
	// forgotten means the stored hashes (if any) were deleted before the
	// request that carries o, so a resend need not delete them again.
	forgotten bool
	tokens    []T
	size      int       // bytes it adds to a request
	since     time.Time // when the first of its items was queued (for Linger)
	dead      bool      // removed from its queue
}

// storedHashesGoStale reports whether sending o would leave hashes in the
// store that no longer describe CM's version of the comment.
func (o *op[T]) storedHashesGoStale() bool { return (o.known || o.unsure) && !o.forgotten }

func opFromItem[T any](it Item[T], now time.Time) *op[T] {
	o := &op[T]{id: it.Result.CommentID, result: it.Result, tokens: []T{it.Token}, since: now}
	o.delete = it.Result.Kind == mapper.ResultDelete
	if o.delete {
		o.size = len(url.QueryEscape(o.id)) + len("&id=")
	} else {
		o.size = len(it.Result.JSON) + 1
	}
	return o
}

// supersede makes o (newer) stand for the items of old as well. CM ends up
// with o's version either way, so old's tokens share o's outcome.
func (o *op[T]) supersede(old *op[T]) {
	o.tokens = append(old.tokens, o.tokens...)
	o.prev, o.known, o.unsure, o.since = old.prev, old.known, old.unsure, old.since
}

// replace makes o (newer, never sent) take the place of old in a request
// that is being retried. o stands for old's items too, so old's version is
// never sent again. What CM holds is what it held before old's request
// (prev), or old's version if an earlier attempt reached CM although its
// answer was lost; o's action is decided against prev, and where that says
// unchanged, against old's version, as old's action did.
func (o *op[T]) replace(old *op[T]) {
	o.tokens = append(old.tokens, o.tokens...)
	o.prev, o.known, o.unsure, o.forgotten, o.since = old.prev, old.known, old.unsure, old.forgotten, old.since
	o.action = mapper.Decide(o.result, o.prev, o.known)
	if o.action == mapper.ActionUnchanged {
		o.action = old.action
	}
}

// queue is an insertion-ordered set of ops keyed by comment ID.
type queue[T any] struct {
	byID  map[string]*op[T]
	order []*op[T]
	live  int
	bytes int
}

func newQueue[T any]() *queue[T] { return &queue[T]{byID: map[string]*op[T]{}} }

func (q *queue[T]) get(id string) *op[T] { return q.byID[id] }

func (q *queue[T]) push(o *op[T]) {
	o.dead = false
	q.byID[o.id] = o
	q.order = append(q.order, o)
	q.live++
	q.bytes += o.size
}

func (q *queue[T]) remove(id string) *op[T] {
	o, ok := q.byID[id]
	if !ok {
		return nil
	}
	delete(q.byID, id)
	o.dead = true
	q.live--
	q.bytes -= o.size
	return o
}

// oldest returns when the oldest live op was queued.
func (q *queue[T]) oldest() time.Time {
	q.compact()
	if len(q.order) == 0 {
		return time.Time{}
	}
	return q.order[0].since
}

// cut removes and returns ops from the front, at most maxCount of them and
// at most maxBytes together, but always at least one.
func (q *queue[T]) cut(maxCount, maxBytes int) []*op[T] {
	q.compact()
	var out []*op[T]
	bytes := 0
	n := 0
	for ; n < len(q.order) && len(out) < maxCount; n++ {
		o := q.order[n]
		if o.dead {
			continue
		}
		if len(out) > 0 && bytes+o.size > maxBytes {
			break
		}
		out = append(out, o)
		bytes += o.size
	}
	for _, o := range out {
		q.remove(o.id)
	}
	q.order = q.order[n:]
	return out
}

// all removes and returns every live op.
func (q *queue[T]) all() []*op[T] {
	return q.cut(int(^uint(0)>>1), int(^uint(0)>>1))
}

// compact drops removed ops from the front.
func (q *queue[T]) compact() {
	i := 0
	for i < len(q.order) && q.order[i].dead {
		i++
	}
	q.order = q.order[i:]
	if len(q.order) == 0 {
		q.order = nil
	}
}
