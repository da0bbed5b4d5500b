package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/console"
	"github.com/sfcdc/sfcdc/status"
)

// fixed is a deployment of two integrations as the serve layer reports
// them (serve's own test drives the console through a running instance).
type fixed []console.Integration

func (f fixed) Integrations(context.Context) ([]console.Integration, error) { return f, nil }

func (f fixed) Integration(_ context.Context, name string) (console.Integration, error) {
	for _, in := range f {
		if in.Name == name {
			return in, nil
		}
	}
	return console.Integration{}, console.ErrUnknown
}

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func deployment() fixed {
	last := now.Add(-90 * time.Second)
	return fixed{
		{Name: "acme/support", State: "streaming", Since: now.Add(-2 * time.Hour), LastEventAt: &last, LagSeconds: 0.4,
			CommentsToday: 1200, BillableToday: 1100, DeadLetters: 3, ParkedDeadLetters: 1,
			Units:  []console.Unit{{Part: "/data/CaseChangeEvent", State: "streaming", Instance: "sfcdc-1"}},
			Topics: []status.Topic{{Topic: "/data/CaseChangeEvent", State: "streaming", Holder: "sfcdc-1", Checkpoint: "ok", Received: 1500}}},
		{Name: "acme/sales", State: "needs_reauth", Reason: "invalid_grant: the grant was revoked",
			AuthenticateURL: "https://sfcdc.example/integrations/acme/sales/oauth2/authenticate"},
	}
}

func serve(t *testing.T, cfg console.Config) *httptest.Server {
	t.Helper()
	cfg.Source, cfg.Now = deployment(), func() time.Time { return now }
	srv := httptest.NewServer(console.Handler(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func fetch(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTheConsoleNeedsTheAdminTokenAsBearerOrBasicPassword(t *testing.T) {
	t.Parallel()
	const token = "CANARY-admin-token-5a1f"
	srv := serve(t, console.Config{AdminToken: token})
	for _, path := range []string{"/", "/integrations/acme/support", "/api/v1/integrations", "/api/v1/integrations/acme/support"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if code, body := fetch(t, req); code != http.StatusUnauthorized || strings.Contains(body, "acme") || strings.Contains(body, token) {
			t.Fatalf("%s without the token: %d\n%s", path, code, body)
		}
		req.Header.Set("Authorization", "Bearer wrong")
		if code, _ := fetch(t, req); code != http.StatusUnauthorized {
			t.Fatalf("%s with a wrong token: %d", path, code)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if code, _ := fetch(t, req); code != http.StatusOK {
			t.Fatalf("%s with the token: %d", path, code)
		}
		req.Header.Del("Authorization")
		req.SetBasicAuth("operator", token)
		if code, body := fetch(t, req); code != http.StatusOK || strings.Contains(body, token) {
			t.Fatalf("%s with the token as the Basic password: %d", path, code)
		}
	}
	// Not open without a token unless configured so.
	closed := serve(t, console.Config{})
	req, _ := http.NewRequest(http.MethodGet, closed.URL+"/", nil)
	if code, _ := fetch(t, req); code != http.StatusUnauthorized {
		t.Fatalf("a console with no token and not open answered %d", code)
	}
}

func TestTheConsoleShowsEveryIntegrationItsFiguresAndTheLinkToSend(t *testing.T) {
	t.Parallel()
	srv := serve(t, console.Config{Open: true})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	code, page := fetch(t, req)
	for _, want := range []string{`<html lang="en">`, `<meta name="viewport"`, "<h1>Integrations</h1>", `<th scope="col">State</th>`,
		`href="/integrations/acme/support"`, "streaming", "1m ago", "0.4s", "1200", "1100", "3 (1 parked)",
		"needs_reauth", "invalid_grant: the grant was revoked", `href="https://sfcdc.example/integrations/acme/sales/oauth2/authenticate"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the list page (%d) lacks %q", code, want)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/integrations/acme/support", nil)
	code, one := fetch(t, req)
	if code != http.StatusOK || !strings.Contains(one, "<h1>acme/support</h1>") || !strings.Contains(one, "/data/CaseChangeEvent") || !strings.Contains(one, "sfcdc-1") {
		t.Fatalf("one integration's page: %d\n%s", code, one)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/integrations/acme/nobody", nil)
	if code, _ := fetch(t, req); code != http.StatusNotFound {
		t.Fatalf("an unknown integration's page: %d", code)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/integrations", nil)
	_, js := fetch(t, req)
	var got struct {
		Integrations []console.Integration `json:"integrations"`
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil || len(got.Integrations) != 2 || got.Integrations[1].AuthenticateURL == "" ||
		got.Integrations[0].BillableToday != 1100 {
		t.Fatalf("the JSON list: %v\n%s", err, js)
	}
}
