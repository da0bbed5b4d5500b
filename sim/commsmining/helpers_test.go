package commsmining

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// After refusing an oversized body, net/http lingers up to 500 ms in a
	// connection goroutine of its own before closing; it always ends.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}

const project, source = "sfcdc", "salesforce"

// startSim starts a simulator with one source and closes it after the test.
func startSim(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Sources == nil {
		opts.Sources = []string{project + "/" + source}
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// client is an HTTP client whose idle connections are closed after the test.
type client struct {
	t     testing.TB
	s     *Server
	http  *http.Client
	token string
}

func newClient(t testing.TB, s *Server) *client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, s: s, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}, token: s.Token()}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c *client) do(method, path string, body any) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return r
}

func (c *client) sync(comments ...map[string]any) reply {
	c.t.Helper()
	return c.do("POST", "/api/v1/sources/"+project+"/"+source+"/sync", map[string]any{"comments": comments})
}

// comment builds a valid wire comment; overrides replace or add top-level keys.
func comment(id, text string, overrides ...map[string]any) map[string]any {
	c := map[string]any{
		"id": id, "timestamp": "2024-05-01T10:00:00Z", "thread_id": "t1",
		"messages": []any{map[string]any{
			"body": map[string]any{"text": text}, "subject": map[string]any{"text": "subj"},
			"from": "a@x.com", "to": []any{"b@y.com"}, "sent_at": "2024-05-01T10:00:00.000Z",
		}},
		"user_properties": map[string]any{"string:Status": "New", "number:Score": 3},
	}
	for _, o := range overrides {
		for k, v := range o {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
	}
	return c
}

func wantOK(t testing.TB, r reply, counts ...int) {
	t.Helper()
	if r.status != 200 || r.body["status"] != "ok" {
		t.Fatalf("got %d %s, want 200 ok", r.status, r.raw)
	}
	if len(counts) == 3 {
		got := fmt.Sprint(r.body["new"], r.body["updated"], r.body["unchanged"])
		want := fmt.Sprint(float64(counts[0]), float64(counts[1]), float64(counts[2]))
		if got != want {
			t.Fatalf("new/updated/unchanged = %s, want %s", got, want)
		}
	}
}

func wantError(t testing.TB, r reply, status int, contains string) {
	t.Helper()
	msg, _ := r.body["message"].(string)
	if r.status != status || r.body["status"] != "error" || !strings.Contains(msg, contains) {
		t.Fatalf("got %d %s, want %d with an error message containing %q", r.status, r.raw, status, contains)
	}
}
