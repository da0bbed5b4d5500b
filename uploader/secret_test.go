package uploader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

const canary = "CANARY-7f3a9c-secret-token"

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTheTokenNeverAppearsInErrorsLogsOrFormattedValues(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen []string

	// Retries (503, a timeout), a dead letter, then a refused token.
	sim := startSim(t, commsmining.Options{Token: "the-right-one", Logger: logger})
	sim.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: 503, Message: "busy"})
	h := newHarness(t, sim, Config{Token: canary}, Options[string]{Logger: logger})
	h.submit(mapCase(t, 1, "x", "New"))
	h.flush()
	seen = append(seen, fmt.Sprint(h.stop()))
	for _, o := range h.outcomes.all() {
		seen = append(seen, fmt.Sprint(o.Err), fmt.Sprintf("%+v", o))
	}

	// A network error.
	down := startSim(t, commsmining.Options{})
	url := down.URL()
	_ = down.Close()
	h2 := newHarness(t, down, Config{BaseURL: url, Token: canary, Linger: -1}, Options[string]{Logger: logger})
	h2.submit(mapCase(t, 2, "x", "New"))
	for len(h2.sleeps.waits()) == 0 {
		time.Sleep(time.Millisecond) // until the failure has been logged
	}
	seen = append(seen, fmt.Sprint(h2.stop()))
	for _, o := range h2.outcomes.all() {
		seen = append(seen, fmt.Sprint(o.Err))
	}

	// The configuration itself, however it is printed or encoded.
	cfg := Config{BaseURL: "https://x.reinfer.io", Token: canary, Project: "p", Source: "s"}
	js, _ := json.Marshal(cfg)
	seen = append(seen, fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(js), fmt.Sprint(cfg.Token))
	logger.Info("config", "config", cfg, "token", cfg.Token)
	_, err := New(Config{BaseURL: "https://user:" + canary + "@x.reinfer.io", Token: canary + " x"}, Options[string]{})
	seen = append(seen, fmt.Sprint(err))

	seen = append(seen, logs.String())
	all := strings.Join(seen, "\n")
	if strings.Contains(all, canary) {
		t.Errorf("the token leaked:\n%s", all)
	}
	if !strings.Contains(all, "CM refused the API token") || !strings.Contains(all, "retrying") {
		t.Errorf("the scenario did not run as intended:\n%s", all)
	}
}
