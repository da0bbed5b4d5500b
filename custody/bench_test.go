package custody_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
)

// BenchmarkRotatingRefresh is one refresh of a rotating grant per op, the
// whole of it: the re-read, the lock, the marker, the token request to
// the simulated login host, the compare-and-swap store to Redis, the lock
// released. It reports the window in which a crash loses the grant (the
// refresh's log line: the request sent, or its answer arrived, until the
// store write landed) as p50 and p99 in microseconds.
func BenchmarkRotatingRefresh(b *testing.B) {
	w := newWorld(b, true)
	src := w.source(b, "bench")
	var logs lockedLines
	src.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	cur := salesforce.Session{AccessToken: w.first.access}
	b.ReportAllocs()
	for b.Loop() {
		next, err := src.Refresh(b.Context(), cur)
		if err != nil {
			b.Fatal(err)
		}
		cur = next
	}
	var send, answer []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(logs.bytes()))
	for sc.Scan() {
		var line struct {
			Msg    string        `json:"msg"`
			Send   time.Duration `json:"unstored_after_send"`
			Answer time.Duration `json:"unstored_after_answer"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "stored the refreshed grant" {
			send, answer = append(send, line.Send), append(answer, line.Answer)
		}
	}
	if len(send) == 0 {
		b.Fatal("no refresh logged its window")
	}
	at := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds())
	}
	b.ReportMetric(at(send, 0.5), "sent-to-stored-p50-µs")
	b.ReportMetric(at(send, 0.99), "sent-to-stored-p99-µs")
	b.ReportMetric(at(answer, 0.5), "answer-to-stored-p50-µs")
	b.ReportMetric(at(answer, 0.99), "answer-to-stored-p99-µs")
}

type lockedLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLines) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}
