package uploader

import (
	"context"
	"errors"

	"github.com/sfcdc/sfcdc/mapper"
)

// syncOps uploads ops in one request (with retries). When CM refuses the
// batch, it is split in halves until each refused comment is alone; those
// become dead letters and the rest go through.
func (u *Uploader) syncOps(ctx context.Context, ops []*op, fatal func(error)) {
	body := syncBody(ops)
	var counts syncCounts
	err := u.withRetries(ctx, "sync", func(ctx context.Context) error {
		u.counters.syncRequests.Add(1)
		var err error
		counts, err = u.client.sync(ctx, body)
		return err
	})
	if err == nil {
		u.synced(ctx, ops, counts)
		return
	}
	u.settle(ctx, ops, err, fatal, u.syncOps)
}

// deleteOps deletes the comments of ops in one request (with retries).
func (u *Uploader) deleteOps(ctx context.Context, ops []*op, fatal func(error)) {
	ids := make([]string, len(ops))
	for i, o := range ops {
		ids[i] = o.id
	}
	err := u.withRetries(ctx, "delete", func(ctx context.Context) error {
		u.counters.deleteRequests.Add(1)
		return u.client.deleteComments(ctx, ids)
	})
	if err == nil {
		if u.hashes != nil {
			if err := u.hashes.Delete(context.WithoutCancel(ctx), ids); err != nil {
				u.log.Warn("hash store delete failed; a restored record may be skipped", "comments", len(ids), "error", err)
			}
		}
		for _, o := range ops {
			u.deliver(o, nil)
		}
		return
	}
	u.settle(ctx, ops, err, fatal, u.deleteOps)
}

// settle handles a request that did not succeed: split a refused batch,
// dead-letter a refused single comment, or report the failure.
func (u *Uploader) settle(ctx context.Context, ops []*op, err error, fatal func(error), resend func(context.Context, []*op, func(error))) {
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
		resend(ctx, ops[:mid], fatal)
		resend(ctx, ops[mid:], fatal)
		return
	}
	var fe *FatalError
	if errors.As(err, &fe) {
		u.log.Error("CM refused the uploader; stopping", "error", fe)
		fatal(fe)
	}
	for _, o := range ops {
		u.deliver(o, err)
	}
}

// synced records an accepted batch: hashes first (so waiting versions of
// the same IDs compare against them), then counters, then outcomes.
func (u *Uploader) synced(ctx context.Context, ops []*op, counts syncCounts) {
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

// syncBody joins the comments' canonical JSON into one request body.
func syncBody(ops []*op) []byte {
	size := len(`{"comments":[]}`)
	for _, o := range ops {
		size += o.size
	}
	body := make([]byte, 0, size)
	body = append(body, `{"comments":[`...)
	for i, o := range ops {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, o.result.JSON...)
	}
	return append(body, "]}"...)
}
