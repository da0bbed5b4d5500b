package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// restHarness is a started simulator and an HTTP client trusting its CA.
type restHarness struct {
	sim   *Sim
	http  *http.Client
	clock *restTestClock
}

func startRESTHarness(t *testing.T, rest RESTConfig) *restHarness {
	t.Helper()
	return startRESTHarnessWith(t, Config{Seed: 21}, rest)
}

// startRESTHarnessWith starts an org described by orgCfg.
func startRESTHarnessWith(t *testing.T, orgCfg Config, rest RESTConfig) *restHarness {
	t.Helper()
	clock := &restTestClock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s, err := Start(SimConfig{Org: orgCfg, Clock: clock, REST: rest, PubSub: PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	pem, err := os.ReadFile(s.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &restHarness{sim: s, http: c, clock: clock}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %s", a.status, a.body)
	}
}

func (h *restHarness) call(t testing.TB, method, path, token string, body io.Reader, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, h.sim.InstanceURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (h *restHarness) query(t *testing.T, resource, soql string, header http.Header) answer {
	return h.call(t, "GET", "/services/data/v62.0/"+resource+"?q="+url.QueryEscape(soql), h.sim.AccessToken, nil, header)
}

func (h *restHarness) token(t testing.TB, form url.Values) answer {
	return h.call(t, "POST", "/services/oauth2/token", "", strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

func TestTokenResponsesLookLikeSalesforces(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	app := h.sim.REST.App()
	a := h.token(t, url.Values{"grant_type": {GrantClientCredentials}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	var body map[string]any
	a.json(t, &body)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range body {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"access_token", "id", "instance_url", "issued_at", "scope", "signature", "token_type"}; !slices.Equal(keys, want) {
		t.Fatalf("token response keys %v, want %v (no expires_in, no refresh_token)", keys, want)
	}
	mac := hmac.New(sha256.New, []byte(app.ClientSecret))
	mac.Write([]byte(body["id"].(string) + body["issued_at"].(string)))
	if body["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Fatal("the signature is not HMAC-SHA256(id + issued_at) under the secret")
	}
	if body["instance_url"] != h.sim.InstanceURL || body["id"] != h.sim.LoginURL+"/id/"+h.sim.Org.ID()+"/"+h.sim.Org.UserID() {
		t.Fatalf("instance_url %v, id %v", body["instance_url"], body["id"])
	}
	if !h.sim.Tokens.Valid(body["access_token"].(string)) {
		t.Fatal("the access token is not in the org's session registry, so Pub/Sub would refuse it")
	}
}

func TestOAuthRefusalsUseTheErrorBody(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	app := h.sim.REST.App()
	cases := []struct {
		name string
		form url.Values
		code string
	}{
		{"a wrong secret", url.Values{"grant_type": {GrantClientCredentials}, "client_id": {app.ClientID}, "client_secret": {"x"}}, "invalid_client"},
		{"an unknown refresh token", url.Values{"grant_type": {GrantRefreshToken}, "client_id": {app.ClientID}, "refresh_token": {"5Aep861nope"}}, "invalid_grant"},
		{"an unknown code", url.Values{"grant_type": {GrantAuthorizationCode}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "code": {"aPrxnope"}}, "invalid_grant"},
		{"an unsigned assertion", url.Values{"grant_type": {GrantJWTBearer}, "assertion": {"eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."}}, "invalid_grant"},
		{"an unknown grant type", url.Values{"grant_type": {"password"}}, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := h.token(t, tc.form)
			var e map[string]string
			a.json(t, &e)
			if a.status != 400 || e["error"] != tc.code || e["error_description"] == "" || len(e) != 2 {
				t.Fatalf("%d %s, want 400 {error: %s, error_description}", a.status, a.body, tc.code)
			}
		})
	}
}

func TestAnExpiredSessionGetsTheInvalidSessionBody(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	h.sim.Tokens.SetLifetime(2 * time.Hour)
	h.clock.Advance(2*time.Hour + time.Second)
	a := h.query(t, "query", "SELECT Id FROM Case", nil)
	if a.status != 401 || strings.TrimSpace(string(a.body)) != `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]` {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

func TestEveryAPIAnswerCarriesLimitInfoAndTheBudgetIsEnforced(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{DailyAPILimit: 2})
	for i, want := range []string{"api-usage=1/2", "api-usage=2/2"} {
		a := h.query(t, "query", "SELECT Id FROM Case", nil)
		if a.status != 200 || a.header.Get("Sforce-Limit-Info") != want {
			t.Fatalf("call %d: %d with Sforce-Limit-Info %q, want %q", i+1, a.status, a.header.Get("Sforce-Limit-Info"), want)
		}
	}
	a := h.query(t, "query", "SELECT Id FROM Case", nil)
	if a.status != 403 || !strings.Contains(string(a.body), `"errorCode":"REQUEST_LIMIT_EXCEEDED"`) || a.header.Get("Sforce-Limit-Info") != "api-usage=2/2" {
		t.Fatalf("over budget: %d %s %q", a.status, a.body, a.header.Get("Sforce-Limit-Info"))
	}
	h.clock.Advance(25 * time.Hour) // the rolling 24 hours move on
	if a := h.query(t, "query", "SELECT Id FROM Case", nil); a.status != 200 {
		t.Fatalf("a day later: %d", a.status)
	}
	if a := h.call(t, "GET", "/services/data/", "", nil, nil); a.status != 200 || a.header.Get("Sforce-Limit-Info") != "" {
		t.Fatalf("GET /services/data/: %d, limit info %q (it carries none)", a.status, a.header.Get("Sforce-Limit-Info"))
	}
}

func TestBatchSizesAreClampedAndQueryAllPagesThroughQuery(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	_, err := h.sim.Org.Transaction(func(tx *Tx) error {
		for range 2500 {
			if _, err := tx.Create("Case", Values{"Subject": "x"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]int{"": 2000, "batchSize=100": 200, "batchSize=500": 500, "batchSize=5000": 2000, "batchSize=abc": 2000} {
		var page struct {
			TotalSize      int               `json:"totalSize"`
			Done           bool              `json:"done"`
			NextRecordsURL string            `json:"nextRecordsUrl"`
			Records        []json.RawMessage `json:"records"`
		}
		h.query(t, "queryAll", "SELECT Id FROM Case", http.Header{"Sforce-Query-Options": {header}}).json(t, &page)
		if len(page.Records) != want || page.Done || page.TotalSize != 2500 || !strings.HasPrefix(page.NextRecordsURL, "/services/data/v62.0/query/01g") {
			t.Fatalf("header %q: %d records, done %v, next %q", header, len(page.Records), page.Done, page.NextRecordsURL)
		}
	}
}

func TestTheEleventhOpenCursorReleasesTheOldest(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	_, err := h.sim.Org.Transaction(func(tx *Tx) error {
		for range 250 {
			if _, err := tx.Create("Case", Values{"Subject": "x"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var next []string
	for range maxOpenCursors + 1 {
		var page struct {
			NextRecordsURL string `json:"nextRecordsUrl"`
		}
		h.query(t, "query", "SELECT Id FROM Case", http.Header{"Sforce-Query-Options": {"batchSize=200"}}).json(t, &page)
		next = append(next, page.NextRecordsURL)
	}
	if a := h.call(t, "GET", next[0], h.sim.AccessToken, nil, nil); a.status != 400 || !strings.Contains(string(a.body), "INVALID_QUERY_LOCATOR") {
		t.Fatalf("the oldest locator: %d %s", a.status, a.body)
	}
	if a := h.call(t, "GET", next[1], h.sim.AccessToken, nil, nil); a.status != 200 {
		t.Fatalf("the second locator: %d %s", a.status, a.body)
	}
}

func TestRecordResourcesAnswerLikeSalesforce(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	live, _ := h.sim.Org.Create("Case", Values{"Subject": "live"})
	gone, _ := h.sim.Org.Create("Case", Values{"Subject": "gone"})
	if err := h.sim.Org.Delete(gone); err != nil {
		t.Fatal(err)
	}
	tok := h.sim.AccessToken
	ids := make([]string, 2001)
	for i := range ids {
		ids[i] = live
	}
	tooMany, _ := json.Marshal(map[string]any{"ids": ids, "fields": []string{"Id"}})
	cases := []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"a record by ID", "GET", "/services/data/v62.0/sobjects/Case/" + live, "", 200, `"Subject":"live"`},
		{"a deleted record", "GET", "/services/data/v62.0/sobjects/Case/" + gone, "", 404, "ENTITY_IS_DELETED"},
		{"selected fields", "GET", "/services/data/v62.0/sobjects/Case/" + live + "?fields=Subject", "", 200, `"Id":"` + live + `","Subject":"live"}`},
		{"collections: null for the deleted one", "POST", "/services/data/v62.0/composite/sobjects/Case", `{"ids":["` + live + `","` + gone + `"],"fields":["Subject"]}`, 200, `"Subject":"live"},null]`},
		{"collections by GET", "GET", "/services/data/v62.0/composite/sobjects/Case?ids=" + live + "&fields=Subject", "", 200, `"Subject":"live"`},
		{"collections: an unknown field fails all", "POST", "/services/data/v62.0/composite/sobjects/Case", `{"ids":["` + live + `"],"fields":["Nope"]}`, 400, "INVALID_FIELD"},
		{"collections: more than 2,000 IDs", "POST", "/services/data/v62.0/composite/sobjects/Case", string(tooMany), 400, "EXCEEDED_ID_LIMIT"},
		{"describe of a CDC object's change event", "GET", "/services/data/v62.0/sobjects/CaseChangeEvent/describe", "", 200, `"name":"CaseChangeEvent"`},
		{"describe of a change event that does not exist", "GET", "/services/data/v62.0/sobjects/CaseCommentChangeEvent/describe", "", 404, "NOT_FOUND"},
		{"an unknown version", "GET", "/services/data/v9.0/sobjects", "", 404, "NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := h.call(t, tc.method, tc.path, tok, strings.NewReader(tc.body), http.Header{"Content-Type": {"application/json"}})
			if a.status != tc.status || !strings.Contains(string(a.body), tc.says) {
				t.Fatalf("%d %s, want %d containing %s", a.status, a.body, tc.status, tc.says)
			}
		})
	}
}

func TestInjectedServerErrorsFailTheNextCallsOnly(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{})
	h.sim.RESTFaults.Set(RESTFaultSettings{ServerErrors: 2, ServerErrorStatus: 500})
	for _, want := range []int{500, 500, 200} {
		if a := h.query(t, "query", "SELECT Id FROM Case", nil); a.status != want {
			t.Fatalf("got %d, want %d", a.status, want)
		}
	}
}

func TestTheAuthorizePageAsksThePersonAndRefusesUnregisteredCallbacks(t *testing.T) {
	t.Parallel()
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{CallbackURLs: []string{"http://localhost:1717/oauth2/callback"}}})
	app := h.sim.REST.App()
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {"http://localhost:1717/oauth2/callback"}, "state": {"s1"}}
	a := h.call(t, "GET", "/services/oauth2/authorize?"+q.Encode(), "", nil, nil)
	if a.status != 200 || !strings.Contains(string(a.body), `<button type="submit" name="decision" value="allow">Allow</button>`) {
		t.Fatalf("%d %s", a.status, a.body)
	}
	q.Set("redirect_uri", "http://localhost:9999/oauth2/callback")
	a = h.call(t, "GET", "/services/oauth2/authorize?"+q.Encode(), "", nil, nil)
	if a.status != 400 || !strings.Contains(string(a.body), "redirect_uri_mismatch") || a.header.Get("Location") != "" {
		t.Fatalf("an unregistered callback: %d %s (redirected to %q)", a.status, a.body, a.header.Get("Location"))
	}
}
