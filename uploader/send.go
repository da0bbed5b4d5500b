package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/sfcdc/sfcdc/mapper"
)

// syncOps uploads ops in one request (with retries). When CM refuses the
// batch, it is split in halves until each refused comment is alone; those
// become dead letters and the rest go through.
func (u *Uploader[T]) syncOps(env *sendEnv[T], ops []*op[T]) {
	if err := u.forgetStaleHashes(env, ops); err != nil {
		u.settle(env, ops, err, u.syncOps)
		return
	}
	var body batchBody
	var counts syncCounts
	err := u.withRetries(env, "sync", func(ctx context.Context) error {
		// Each attempt sends the newest version of each comment: versions
		// submitted while this request waited (to be retried, or for the
		// hash store) take the place of the ones it was cut with, so a
		// superseded version is never sent, let alone billed, once more.
		var changed bool
		if ops, changed = env.waiting.newest(ops); changed || body.parts == nil {
			body = newBatchBody(ops)
		}
		counts = syncCounts{}
		if len(ops) == 0 {
			return nil // every comment is to be deleted instead
		}
		if len(ops) > u.syncCap.get() { // another sync timed out since this one was cut
			return &overCapError{comments: len(ops)}
		}
		u.counters.syncRequests.Add(1)
		var err error
		counts, err = u.client.sync(ctx, body, len(ops))
		if err != nil && len(ops) > 1 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Sent whole again it would time out again: CM takes longer
			// the more comments a sync carries.
			return &overCapError{comments: len(ops), timedOut: err}
		}
		return err
	})
	var over *overCapError
	if errors.As(err, &over) {
		u.resendWithinCap(env, ops, over)
		return
	}
	if err == nil {
		u.syncCap.grow(len(ops))
		u.synced(env.ctx, ops, counts)
		return
	}
	u.settle(env, ops, err, u.syncOps)
}

// resendWithinCap sends the comments of a sync that timed out (halving
// the cap first) or was over the cap, in syncs of at most the cap, one
// after another on this sender's goroutine: a slow CM gains nothing from
// more requests at once. Comments CM applied before the timeout come back
// unchanged and are not billed again.
func (u *Uploader[T]) resendWithinCap(env *sendEnv[T], ops []*op[T], over *overCapError) {
	if over.timedOut != nil {
		most := u.syncCap.shrink(len(ops))
		u.counters.shrinks.Add(1)
		u.log.Warn("CM sync outlasted request_timeout; sending fewer comments per sync",
			"comments", len(ops), "max_comments", most, "request_timeout", u.cfg.RequestTimeout)
	}
	for len(ops) > 0 {
		if env.waitCtx.Err() != nil { // stopping: no new request starts
			for _, o := range ops {
				u.deliver(o, fmt.Errorf("%w: %v", ErrStopped, over))
			}
			return
		}
		n := min(len(ops), u.syncCap.get())
		u.syncOps(env, ops[:n])
		ops = ops[n:]
	}
}

// forgetStaleHashes removes, before CM changes them, the stored hashes of
// comments whose version is about to change. The store must never describe
// a version CM no longer holds: if the request succeeded and storing the
// new hashes then failed, the old ones would make a later return to the
// old text look unchanged, and CM would keep the wrong version. New
// comments whose lookup succeeded have nothing stored and cost nothing.
func (u *Uploader[T]) forgetStaleHashes(env *sendEnv[T], ops []*op[T]) error {
	if u.hashes == nil {
		return nil
	}
	var ids []string
	for _, o := range ops {
		if o.storedHashesGoStale() {
			ids = append(ids, o.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := u.forgetHashes(env, ids); err != nil {
		return err
	}
	for _, o := range ops {
		o.forgotten = true // a resent half, or a newer version taking its place, must not forget again
	}
	return nil
}

// deleteOps deletes the comments of ops in one request (with retries),
// after forgetting their hashes: in the other order, a delete CM carried
// out whose hashes then stayed (the store down) would make the restored
// record look already uploaded, and its comment would never come back.
func (u *Uploader[T]) deleteOps(env *sendEnv[T], ops []*op[T]) {
	ids := make([]string, len(ops))
	for i, o := range ops {
		ids[i] = o.id
	}
	var err error
	if u.hashes != nil {
		err = u.forgetHashes(env, ids)
	}
	if err == nil {
		err = u.withRetries(env, "delete", func(ctx context.Context) error {
			u.counters.deleteRequests.Add(1)
			return u.client.deleteComments(ctx, ids)
		})
	}
	if err == nil {
		for _, o := range ops {
			u.deliver(o, nil)
		}
		return
	}
	u.settle(env, ops, err, u.deleteOps)
}

// forgetHashesRequest names the one retried request that goes to the
// state store, not to CM: its failures are logged as store failures.
const forgetHashesRequest = "forget content hashes"

// forgetHashes removes comments' content hashes, retrying until it works
// or the uploader stops. Not done, the request that needed it is not sent
// and its events stay before the checkpoint.
func (u *Uploader[T]) forgetHashes(env *sendEnv[T], ids []string) error {
	return u.withRetries(env, forgetHashesRequest, func(ctx context.Context) error {
		if err := u.hashes.Delete(ctx, ids); err != nil {
			return &transientError{err: fmt.Errorf("forget the content hashes of %d comments: %w", len(ids), err)}
		}
		return nil
	})
}

// settle handles a request that did not succeed: split a refused batch,
// dead-letter a refused single comment, or report the failure.
func (u *Uploader[T]) settle(env *sendEnv[T], ops []*op[T], err error, resend func(*sendEnv[T], []*op[T])) {
	var rejected *rejectError
	if errors.As(err, &rejected) {
		if len(ops) == 1 {
			reason := &RejectedError{Status: rejected.status, Message: rejected.message}
			u.log.Warn("CM rejected a comment; dead-lettering it", "comment", ops[0].id, "status", rejected.status, "reason", rejected.message)
			u.deliver(ops[0], reason)
			return
		}
		u.counters.splits.Add(1)
		mid := len(ops) / 2
		resend(env, ops[:mid])
		resend(env, ops[mid:])
		return
	}
	var fe *FatalError
	if errors.As(err, &fe) {
		u.log.Error("CM refused the uploader; stopping", "error", fe)
		env.fatal(fe)
	}
	for _, o := range ops {
		u.deliver(o, err)
	}
}

// synced records an accepted batch: hashes first (so waiting versions of
// the same IDs compare against them), then counters, then outcomes.
func (u *Uploader[T]) synced(ctx context.Context, ops []*op[T], counts syncCounts) {
	textChanged := 0
	hashes := make(map[string]mapper.Hashes, len(ops))
	for _, o := range ops {
		hashes[o.id] = o.result.Hashes
		if o.action.Billable() {
			textChanged++
		}
	}
	if u.hashes != nil {
		if err := u.hashes.Put(context.WithoutCancel(ctx), hashes); err != nil {
			u.log.Warn("hash store update failed; the comments will be sent again next time", "comments", len(ops), "error", err)
		}
	}
	c := &u.counters
	c.cmNew.Add(int64(counts.New))
	c.cmUpdated.Add(int64(counts.Updated))
	c.cmUnchanged.Add(int64(counts.Unchanged))
	c.billable.Add(int64(counts.New + min(counts.Updated, max(textChanged-counts.New, 0))))
	for _, o := range ops {
		u.deliver(o, nil)
	}
}

// batchBody is a sync request body, {"comments":[…]}, kept as the
// comments' own JSON slices: a request streams them to the socket without
// first copying megabytes into one buffer, and a retry streams them again.
type batchBody struct {
	parts net.Buffers
	size  int64
}

var (
	bodyOpen  = []byte(`{"comments":[`)
	bodyComma = []byte(",")
	bodyClose = []byte("]}")
)

func newBatchBody[T any](ops []*op[T]) batchBody {
	parts := make(net.Buffers, 0, 2*len(ops)+1)
	parts = append(parts, bodyOpen)
	size := len(bodyOpen) + len(bodyClose)
	for i, o := range ops {
		if i > 0 {
			parts = append(parts, bodyComma)
			size++
		}
		parts = append(parts, o.result.JSON)
		size += len(o.result.JSON)
	}
	return batchBody{parts: append(parts, bodyClose), size: int64(size)}
}

// reader returns a fresh reader over the body; reading consumes only the
// reader's own copy of the slice list.
func (b batchBody) reader() io.Reader {
	parts := make(net.Buffers, len(b.parts))
	copy(parts, b.parts)
	return &parts
}
