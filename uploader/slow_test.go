package uploader

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
)

// slowLines returns the slow-request warnings logged as JSON lines.
func slowLines(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.Contains(rec["msg"].(string), "slow") {
			out = append(out, rec)
		}
	}
	return out
}

// A hanging CM used to show only when request_timeout (2 min) ended the
// request; the warning must come while the request still waits.
func TestARequestThatHangsIsLoggedOnceWhileItStillWaits(t *testing.T) {
	t.Parallel()
	del, err := cases.Map(mapper.Record{Object: "Case", ID: caseRecord(9, "", "").ID, Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind   string
		items  []mapper.Result
		answer string
	}{
		{"sync", mapCases(t, 3, "x", "New"), `{"status":"ok","new":3,"updated":0,"unchanged":0}`},
		{"delete", []mapper.Result{del}, `{"status":"ok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			release := make(chan struct{})
			_, url := startNotCM(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.answer))
			})
			var logs syncBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			const threshold = 50 * time.Millisecond
			h := newHarness(t, nil, Config{BaseURL: url, Token: canary, SlowRequestAfter: threshold}, Options[string]{Logger: logger})
			h.submit(tt.items...)
			go func() { _ = h.up.Flush(t.Context()) }()

			deadline := time.Now().Add(10 * time.Second)
			for len(slowLines(t, &logs)) == 0 {
				if time.Now().After(deadline) {
					close(release)
					t.Fatalf("no warning while the request hung for 10 s; logs:\n%s", logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(4 * threshold) // a second line would come by now
			close(release)
			h.flush()

			lines := slowLines(t, &logs)
			if len(lines) != 1 {
				t.Fatalf("%d slow-request lines, want 1:\n%s", len(lines), logs.String())
			}
			l := lines[0]
			elapsed, _ := l["elapsed"].(float64) // slog's JSON: nanoseconds
			if l["level"] != "WARN" || l["request"] != tt.kind || l["comments"] != float64(len(tt.items)) || time.Duration(elapsed) < threshold {
				t.Errorf("slow-request line %v, want WARN naming %s, %d comments and at least %v", l, tt.kind, len(tt.items), threshold)
			}
			if strings.Contains(logs.String(), canary) {
				t.Errorf("the token is in the logs:\n%s", logs.String())
			}
			if o := h.outcomes.all(); countBy(o, Outcome[string].Delivered) != len(tt.items) {
				t.Errorf("outcomes = %+v, want all delivered once the answer came", o)
			}
		})
	}
}

func TestAQuickRequestLogsNoSlowWarning(t *testing.T) {
	t.Parallel()
	_, url := startNotCM(t, answerWith(200, "application/json", `{"status":"ok","new":1,"updated":0,"unchanged":0}`))
	var logs syncBuffer
	h := newHarness(t, nil, Config{BaseURL: url, Token: canary, SlowRequestAfter: 5 * time.Second},
		Options[string]{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if lines := slowLines(t, &logs); len(lines) != 0 {
		t.Errorf("slow-request lines for a quick answer: %v", lines)
	}
}
