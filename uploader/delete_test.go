package uploader

import (
	"slices"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// deletesOf are delete results for the comments of Cases 0..n-1.
func deletesOf(t *testing.T, n int) []mapper.Result {
	t.Helper()
	out := make([]mapper.Result, n)
	for i := range out {
		out[i] = mapper.Result{Kind: mapper.ResultDelete, CommentID: mapCase(t, i, "", "").CommentID}
	}
	return out
}

// uploadCases stores the comments of Cases 0..n-1 in CM and starts the
// request counts afresh.
func uploadCases(t *testing.T, sim *commsmining.Server, h *harness, n int) {
	t.Helper()
	h.submit(mapCases(t, n, "text", "New")...)
	h.flush()
	if got := len(sim.Comments(project, source)); got != n {
		t.Fatalf("CM holds %d comments before the deletes, want %d", got, n)
	}
	sim.ResetStats()
}

// TestDeletesAreSplitIntoRequestsOfAtMostMaxDeleteIDs: 100 deletes with
// max_delete_ids 40 leave as three requests (40, 40, 20), and every
// comment is gone and reported deleted.
func TestDeletesAreSplitIntoRequestsOfAtMostMaxDeleteIDs(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	h := newHarness(t, sim, Config{MaxDeleteIDs: 40}, Options[string]{})
	uploadCases(t, sim, h, 100)
	h.submit(deletesOf(t, 100)...)
	h.flush()
	st := sim.Stats()
	if st.Requests[commsmining.EndpointDelete] != 3 || h.up.Stats().DeleteRequests != 3 {
		t.Errorf("%d delete requests reached CM (uploader counted %d), want 3 for 100 IDs at 40 per request",
			st.Requests[commsmining.EndpointDelete], h.up.Stats().DeleteRequests)
	}
	if st.Deleted != 100 || len(sim.Comments(project, source)) != 0 {
		t.Errorf("CM deleted %d and still holds %d comments, want 100 and 0", st.Deleted, len(sim.Comments(project, source)))
	}
	out := h.outcomes.all()[100:]
	if countBy(out, func(o Outcome[string]) bool { return o.Action == mapper.ActionDelete && o.Delivered() }) != 100 {
		t.Errorf("not every delete was reported done: %+v", out)
	}
}

// TestEveryDeleteStatusPathAgainstTheSimulator runs a delete of one
// stored comment into each answer CM may give, and checks what the
// uploader decides (classify.go) and what CM holds afterwards. Retried
// requests are counted on the simulator too: each retry is one more
// request, and the last one deletes.
func TestEveryDeleteStatusPathAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      commsmining.Fault
		deleted    bool // the outcome is "done" and CM no longer holds the comment
		retries    int64
		waits      []time.Duration // nil: not checked
		deadLetter bool
		fatal      error
	}{
		{"429 with Retry-After waits that long and retries", commsmining.Fault{Status: 429, RetryAfter: "3"}, true, 1, []time.Duration{3 * time.Second}, false, nil},
		{"429 without Retry-After is retried", commsmining.Fault{Status: 429}, true, 1, nil, false, nil},
		{"500 is retried", commsmining.Fault{Status: 500}, true, 1, nil, false, nil},
		{"502 is retried", commsmining.Fault{Status: 502}, true, 1, nil, false, nil},
		{"503 twice is retried twice", commsmining.Fault{Status: 503, Times: 2}, true, 2, nil, false, nil},
		{"504 is retried", commsmining.Fault{Status: 504}, true, 1, nil, false, nil},
		{"422 for one ID dead-letters it", commsmining.Fault{Status: 422, Message: "bad id"}, false, 0, nil, true, nil},
		{"401 stops the uploader", commsmining.Fault{Status: 401}, false, 0, nil, false, ErrUnauthorized},
		{"403 stops the uploader", commsmining.Fault{Status: 403}, false, 0, nil, false, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t, commsmining.Options{})
			h := newHarness(t, sim, Config{}, Options[string]{})
			uploadCases(t, sim, h, 1)
			tt.fault.Endpoint = commsmining.EndpointDelete
			sim.InjectFault(tt.fault)
			h.submit(deletesOf(t, 1)...)
			h.flush()
			out := h.outcomes.all()
			if len(out) != 2 {
				t.Fatalf("%d outcomes, want the upload's and the delete's", len(out))
			}
			o := out[1]
			if o.Action != mapper.ActionDelete || o.Delivered() != tt.deleted || o.DeadLettered() != tt.deadLetter {
				t.Errorf("delete outcome %+v: done %v, dead letter %v", o, o.Delivered(), o.DeadLettered())
			}
			if got := h.up.Stats().Retries; got != tt.retries {
				t.Errorf("retries = %d, want %d", got, tt.retries)
			}
			if got := sim.Stats().Requests[commsmining.EndpointDelete]; got != 1+tt.retries {
				t.Errorf("CM got %d delete requests, want %d (one plus each retry)", got, 1+tt.retries)
			}
			if tt.waits != nil && !slices.Equal(h.sleeps.waits(), tt.waits) {
				t.Errorf("waits = %v, want %v", h.sleeps.waits(), tt.waits)
			}
			runErr := h.stop()
			if tt.fatal != nil {
				if !isFatal(runErr, tt.fatal) || !isFatal(o.Err, tt.fatal) {
					t.Errorf("Run = %v, outcome = %v; want a FatalError wrapping %v", runErr, o.Err, tt.fatal)
				}
			} else if runErr != nil {
				t.Errorf("Run = %v, want nil", runErr)
			}
			if _, stored := sim.Comment(project, source, o.CommentID); stored == tt.deleted {
				t.Errorf("CM still holds the comment: %v; want %v", stored, !tt.deleted)
			}
		})
	}
}

// TestADeleteOfCommentsAlreadyGoneIsDone: CM answers 404 when some IDs of
// a delete do not exist, after deleting those that do. The goal — CM does
// not hold the comments — is met, so every delete of the request is done,
// at once, without a retry: that is how the reference's CLI treats a 404
// on a repeated delete, and it is what a retry after a lost answer meets.
func TestADeleteOfCommentsAlreadyGoneIsDone(t *testing.T) {
	t.Parallel()
	sim := startSim(t, commsmining.Options{})
	// Case 0 is stored by an uploader that then stops; Case 1 never was.
	// The deletes go through a second one sharing the hashes: with one
	// uploader, Case 0's delete could wait behind the finished upload
	// until the batcher saw it finish, and leave in a request of its own.
	first := newHarness(t, sim, Config{}, Options[string]{})
	uploadCases(t, sim, first, 1)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, sim, Config{}, Options[string]{Hashes: first.hashes})
	h.submit(deletesOf(t, 2)...)
	h.flush()
	out := h.outcomes.all()
	if len(out) != 2 || countBy(out, func(o Outcome[string]) bool { return o.Action == mapper.ActionDelete && o.Delivered() }) != 2 {
		t.Fatalf("outcomes %+v, want both deletes done", out)
	}
	st := sim.Stats()
	if st.Requests[commsmining.EndpointDelete] != 1 || st.Deleted != 1 || h.up.Stats().Retries != 0 {
		t.Errorf("%d delete requests, %d deleted, %d retries; want one request that deleted the stored comment, no retry",
			st.Requests[commsmining.EndpointDelete], st.Deleted, h.up.Stats().Retries)
	}
	if n := len(sim.Comments(project, source)); n != 0 {
		t.Errorf("CM still holds %d comments", n)
	}
}
