package commsmining

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Lean mode gives the same sync answers, meter and delete results as the
// full mode for a sequence that exercises every branch (new, unchanged,
// metadata-only update, text update, delete, re-create), while holding no
// comment bodies.
func TestLeanModeAnswersAndBillsLikeTheFullMode(t *testing.T) {
	full, lean := startSim(t, Options{}), startSim(t, Options{Lean: true})
	steps := []struct {
		name     string
		comments []map[string]any
		counts   [3]int // new, updated, unchanged
	}{
		{"create", []map[string]any{comment("c1", "hello"), comment("c2", "world")}, [3]int{2, 0, 0}},
		{"same again", []map[string]any{comment("c1", "hello"), comment("c2", "world")}, [3]int{0, 0, 2}},
		{"metadata only", []map[string]any{comment("c1", "hello", map[string]any{"user_properties": map[string]any{"string:Status": "Closed"}})}, [3]int{0, 1, 0}},
		{"thread only", []map[string]any{comment("c2", "world", map[string]any{"thread_id": "t2"})}, [3]int{0, 1, 0}},
		{"text", []map[string]any{comment("c2", "world, edited", map[string]any{"thread_id": "t2"})}, [3]int{0, 1, 0}},
		{"number property", []map[string]any{comment("c2", "world, edited", map[string]any{"thread_id": "t2", "user_properties": map[string]any{"string:Status": "New", "number:Score": 4}})}, [3]int{0, 1, 0}},
	}
	for _, st := range steps {
		for _, s := range []*Server{full, lean} {
			r := newClient(t, s).sync(st.comments...)
			t.Run(st.name, func(t *testing.T) { wantOK(t, r, st.counts[0], st.counts[1], st.counts[2]) })
		}
	}
	for _, s := range []*Server{full, lean} {
		c := newClient(t, s)
		wantOK(t, c.do("DELETE", "/api/v1/sources/"+project+"/"+source+"/comments?id=c1", nil))
		wantError(t, c.do("DELETE", "/api/v1/sources/"+project+"/"+source+"/comments?id=c1", nil), 404, "not found")
		wantOK(t, c.sync(comment("c1", "hello")), 1, 0, 0)
	}
	fs, ls := full.Stats(), lean.Stats()
	if fs.New != ls.New || fs.Updated != ls.Updated || fs.Unchanged != ls.Unchanged || fs.BillableUnits != ls.BillableUnits || fs.Deleted != ls.Deleted {
		t.Fatalf("lean stats %+v differ from full stats %+v", ls, fs)
	}
	// 3 created + the text edit = 4 units (metadata updates are free).
	if ls.BillableUnits != 4 {
		t.Fatalf("billable units %d, want 4", ls.BillableUnits)
	}
	if n := lean.Len(project, source); n != 2 {
		t.Fatalf("lean source holds %d comments, want 2", n)
	}
	if got := lean.Comments(project, source); len(got) != 0 {
		t.Fatalf("lean mode kept %d comment bodies, want none", len(got))
	}
	if n := full.Len(project, source); n != 2 {
		t.Fatalf("full source holds %d comments, want 2", n)
	}
}

// OnReceipt sees every comment of an accepted sync with its result,
// without the receipt log growing.
func TestOnReceiptSeesEachCommentWithoutALog(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	s := startSim(t, Options{Lean: true, OnReceipt: func(r Receipt) {
		mu.Lock()
		defer mu.Unlock()
		got[r.CommentID] += r.Result + ";"
		if r.At.IsZero() {
			t.Errorf("receipt of %s has no time", r.CommentID)
		}
	}})
	c := newClient(t, s)
	wantOK(t, c.sync(comment("a", "x"), comment("b", "y")), 2, 0, 0)
	wantOK(t, c.sync(comment("a", "x"), comment("b", "z")), 0, 1, 1)
	mu.Lock()
	defer mu.Unlock()
	if got["a"] != "new;unchanged;" || got["b"] != "new;updated;" {
		t.Fatalf("receipts %v, want a: new;unchanged; b: new;updated;", got)
	}
	if n := len(s.Receipts()); n != 0 {
		t.Fatalf("the receipt log holds %d entries without RecordReceipts, want 0", n)
	}
}

// Lean mode's own decoder and pooled bodies answer every request as the
// full mode does: the same status for valid, invalid, odd (repeated or
// case-folded names) and oversized bodies, and the same counts. The
// bodies are sent in turn, so a pooled buffer is reused across them.
func TestLeanModeRefusesAndAcceptsWhatTheFullModeDoes(t *testing.T) {
	opts := Options{MaxBodyBytes: 4096}
	full := startSim(t, opts)
	opts.Lean = true
	lean := startSim(t, opts)
	bodies := append([]string{
		`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x\ny"}}]}]}`,
		`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x\ny"}}]}]}`,
		`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"changed"}}]}]}`,
		`{"comments":[{"id":"bad id","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`,
		`{"comments":[{"id":"b","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}],"user_properties":{"string:S":" "}}]}`,
		`{"comments":[{"id":"b","timestamp":"yesterday","messages":[{"body":{"text":"x"}}]}]}`,
		`{"comments":[{"id":"c","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}` + strings.Repeat(" ", 5000),
	}, leanSeeds...)
	for i, body := range bodies {
		want := newClient(t, full).do("POST", "/api/v1/sources/"+project+"/"+source+"/sync", body)
		got := newClient(t, lean).do("POST", "/api/v1/sources/"+project+"/"+source+"/sync", body)
		if got.status != want.status || fmt.Sprint(got.body["new"], got.body["updated"], got.body["unchanged"]) !=
			fmt.Sprint(want.body["new"], want.body["updated"], want.body["unchanged"]) {
			t.Errorf("body %d: lean mode answered %d %s, the full mode %d %s", i, got.status, got.raw, want.status, want.raw)
		}
	}
	if fs, ls := full.Stats(), lean.Stats(); fs.BillableUnits != ls.BillableUnits || fs.Rejected != ls.Rejected || fs.Rejected == 0 {
		t.Errorf("lean stats %+v, full stats %+v: want the same meter and rejections", ls, fs)
	}
}
