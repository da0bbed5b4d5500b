package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A commsmining.base_url that points at a web page (200 with HTML to any
// request) used to be retried for ever as "decode sync answer: invalid
// character '<'"; it stops the command like a refused token, saying what
// the base URL should look like.
func TestABaseURLServingAWebPageEndsTheBackfillNamingTheAPIRootForms(t *testing.T) {
	t.Parallel()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><html><body>Welcome</body></html>"))
	}))
	t.Cleanup(page.Close)
	b := startSim(t, "--rate", "0", "--seed-records", "20")
	b.CommsMiningURL = page.URL
	config := backfillConfig(t, b, redisKeyPrefix(t), "")
	r := runInProcess(t, backfillEnv(b), "backfill", "--config", config)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d (as for a refused token):\n%s", r.code, exitFailure, r.output())
	}
	for _, want := range []string{"does not look like the CM API root", "https://<tenant>.reinfer.io",
		"https://cloud.uipath.com/<org>/<tenant>/reinfer_"} {
		if !strings.Contains(r.output(), want) {
			t.Errorf("the output does not say %q:\n%s", want, r.output())
		}
	}
	if strings.Contains(r.output(), b.CommsMiningToken) {
		t.Errorf("the output shows the CM token:\n%s", r.output())
	}
}
