package notify_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/sfcdc/sfcdc/notify"
)

// The secret, and the webhook URL's path (where webhooks such as Slack's
// keep their own credential), appear nowhere the package writes: log
// lines at every level, errors, metrics, the bodies it posts, or the
// printed Config, through every outcome (sent, refused, retried until
// exhausted, unreachable).
func TestCanaryTheSecretAndTheWebhookPathNeverShow(t *testing.T) {
	t.Parallel()
	const tokenCanary = "5Aep861CANARYrefreshTokenValue"
	const pathCanary = "/hooks/CANARY-path-credential-77aa?token=CANARY-query-credential"
	var everything strings.Builder
	logs := &syncBuffer{}
	var notifiers []*notify.Notifier
	run := func(url string, r *receiver) {
		policy := fast
		policy.MaxAttempts = 2
		cfg := notify.Config{URL: notify.WebhookURL(url + pathCanary), Secret: secret, Retry: policy}
		fmt.Fprintf(&everything, "%v %+v %#v %s %q %x %s\n", cfg, cfg, cfg, cfg.Secret, cfg.Secret, cfg.Secret, cfg.URL)
		js, _ := json.Marshal(struct {
			URL    notify.WebhookURL
			Secret notify.Secret
		}{cfg.URL, cfg.Secret})
		everything.Write(js)
		n, _ := start(t, cfg, logs)
		n.Notify(needsReauth)
		// A reason quoting an error that carried a token.
		n.Notify(notify.Event{Integration: "acme/x", State: notify.StateNeedsReauth, Previous: "active",
			Reason: "refresh refused: POST /services/oauth2/token refresh_token=" + tokenCanary + " answered 400"})
		n.Notify(disabled)
		n.Notify(recovered)
		idle(t, n)
		notifiers = append(notifiers, n)
		if r != nil {
			_, bodies, _ := r.seen()
			for _, b := range bodies {
				everything.Write(b)
			}
		}
	}
	ok := newReceiver(t)
	run(ok.server.URL, ok)
	refusing := newReceiver(t)
	refusing.secret = "another"
	run(refusing.server.URL, refusing)
	failing := newReceiver(t, 500, 502, 503, 500, 502, 503)
	run(failing.server.URL, failing)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	run(gone.URL, nil)

	for _, n := range notifiers {
		reg := prometheus.NewRegistry()
		reg.MustRegister(n.Collector())
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			_, _ = expfmt.MetricFamilyToText(&everything, f)
		}
	}
	_, err := notify.New(notify.Config{URL: "ftp://hooks.example" + pathCanary})
	fmt.Fprintln(&everything, err)
	everything.WriteString(logs.String())

	for _, want := range []string{"notification delivered", "401 Unauthorized", "503 Service Unavailable", "connection refused"} {
		if !strings.Contains(everything.String(), want) {
			t.Errorf("the run did not cover %q:\n%s", want, logs)
		}
	}
	for _, canary := range []string{secret, "CANARY-path", "CANARY-query", tokenCanary} {
		if strings.Contains(everything.String(), canary) {
			t.Errorf("%q appears in what the package wrote:\n%s", canary, everything.String())
		}
	}
}
