package salesforce_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// restCall is one REST request against a started simulator, with the
// demo session unless token says otherwise.
type restCall struct {
	method, path, body string
	noToken            bool
}

type restAnswer struct {
	status int
	body   []byte
}

// errorCode is the errorCode of a REST error body ("" when it is none).
func (a restAnswer) errorCode() string {
	var errs []struct {
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	if json.Unmarshal(a.body, &errs) != nil || len(errs) != 1 {
		return ""
	}
	return errs[0].ErrorCode
}

func restClient(t *testing.T, s *sfsim.Sim) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(s.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func doREST(t *testing.T, c *http.Client, s *sfsim.Sim, call restCall) restAnswer {
	t.Helper()
	req, err := http.NewRequest(call.method, s.InstanceURL+call.path, strings.NewReader(call.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !call.noToken {
		req.Header.Set("Authorization", "Bearer "+s.AccessToken)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return restAnswer{status: resp.StatusCode, body: body}
}

func TestRESTCreateUpdateAndDeleteOfACaseEachSendTheirChangeEventAndCountAsAPICalls(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 51})
	hc := restClient(t, s)
	const sobjects = "/services/data/v62.0/sobjects/Case"

	created := doREST(t, hc, s, restCall{method: "POST", path: sobjects + "/", body: `{"attributes":{"type":"Case"},"Subject":"Printer on fire","Status":"New"}`})
	var res struct {
		ID      string            `json:"id"`
		Success bool              `json:"success"`
		Errors  []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(created.body, &res); err != nil || created.status != http.StatusCreated || !res.Success || res.Errors == nil || len(res.Errors) != 0 || len(res.ID) != 18 {
		t.Fatalf("create answered %d %s; want 201 with the new ID, success true and an empty errors array", created.status, created.body)
	}
	if a := doREST(t, hc, s, restCall{method: "PATCH", path: sobjects + "/" + res.ID, body: `{"Status":"Working","Description":"It still smokes."}`}); a.status != http.StatusNoContent || len(a.body) != 0 {
		t.Fatalf("update answered %d %q; want 204 and no body", a.status, a.body)
	}
	var got map[string]any
	if a := doREST(t, hc, s, restCall{method: "GET", path: sobjects + "/" + res.ID + "?fields=Status,Description"}); a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil || got["Status"] != "Working" {
		t.Fatalf("the updated case reads %d %s; want Status Working", a.status, a.body)
	}
	if a := doREST(t, hc, s, restCall{method: "DELETE", path: sobjects + "/" + res.ID}); a.status != http.StatusNoContent || len(a.body) != 0 {
		t.Fatalf("delete answered %d %q; want 204 and no body", a.status, a.body)
	}
	if a := doREST(t, hc, s, restCall{method: "GET", path: sobjects + "/" + res.ID}); a.status != http.StatusNotFound || a.errorCode() != "ENTITY_IS_DELETED" {
		t.Fatalf("the deleted case reads %d %s; want 404 ENTITY_IS_DELETED", a.status, a.body)
	}

	evs := readEvents(t, c, "/data/CaseChangeEvent", 3)
	for i, want := range []string{"CREATE", "UPDATE", "DELETE"} {
		h := evs[i].Header
		if h.ChangeType != want || !slices.Equal(h.RecordIDs, []string{res.ID}) || h.ChangeOrigin != "com/salesforce/api/rest/62.0" {
			t.Fatalf("event %d is %s of %v from %q; want %s of %s from com/salesforce/api/rest/62.0", i, h.ChangeType, h.RecordIDs, h.ChangeOrigin, want, res.ID)
		}
	}
	if changed := evs[1].Header.ChangedFields; !slices.Contains(changed, "Status") || !slices.Contains(changed, "Description") {
		t.Fatalf("the update's changed fields are %v; want Status and Description among them", changed)
	}
	if used, _ := s.REST.APIUsage(); used != 5 {
		t.Fatalf("the daily API usage is %d after 5 calls", used)
	}
}

func TestRESTWritesAnswerSalesforcesErrorsAndChangeNothing(t *testing.T) {
	t.Parallel()
	s, _ := startOrg(t, sfsim.Config{Seed: 52})
	hc := restClient(t, s)
	live, err := s.Org.Create("Case", sfsim.Values{"Subject": "Open"})
	must(t, err)
	deleted, err := s.Org.Create("Case", sfsim.Values{"Subject": "Gone"})
	must(t, err)
	must(t, s.Org.Delete(deleted))
	account, err := s.Org.Create("Account", sfsim.Values{"Name": "Acme"})
	must(t, err)
	tip := s.Bus.Tip()

	const base = "/services/data/v62.0/sobjects/"
	for _, tc := range []struct {
		name   string
		call   restCall
		status int
		code   string
	}{
		{"create of an unknown object", restCall{method: "POST", path: base + "Nope__c/", body: `{"Name":"x"}`}, 404, "NOT_FOUND"},
		{"create with an unknown field", restCall{method: "POST", path: base + "Case/", body: `{"Subject":"x","Bogus__c":1}`}, 400, "INVALID_FIELD"},
		{"create setting a read-only field", restCall{method: "POST", path: base + "Case/", body: `{"CaseNumber":"00000042"}`}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"create with a value of the wrong type", restCall{method: "POST", path: base + "Case/", body: `{"IsEscalated":"maybe"}`}, 400, "INVALID_TYPE_ON_FIELD_IN_RECORD"},
		{"create with a body that is not a JSON object", restCall{method: "POST", path: base + "Case/", body: `["Subject"]`}, 400, "JSON_PARSER_ERROR"},
		{"create without a session", restCall{method: "POST", path: base + "Case/", body: `{"Subject":"x"}`, noToken: true}, 401, "INVALID_SESSION_ID"},
		{"update with an unknown field", restCall{method: "PATCH", path: base + "Case/" + live, body: `{"Bogus__c":1}`}, 400, "INVALID_FIELD"},
		{"update of a record of another object", restCall{method: "PATCH", path: base + "Case/" + account, body: `{"Subject":"x"}`}, 404, "NOT_FOUND"},
		{"update of an ID no record has", restCall{method: "PATCH", path: base + "Case/500000000000999", body: `{"Subject":"x"}`}, 404, "NOT_FOUND"},
		{"update of a malformed ID", restCall{method: "PATCH", path: base + "Case/abc", body: `{"Subject":"x"}`}, 400, "MALFORMED_ID"},
		{"update of a deleted record", restCall{method: "PATCH", path: base + "Case/" + deleted, body: `{"Subject":"x"}`}, 404, "ENTITY_IS_DELETED"},
		{"delete of a deleted record", restCall{method: "DELETE", path: base + "Case/" + deleted}, 404, "ENTITY_IS_DELETED"},
		{"delete of an unknown object", restCall{method: "DELETE", path: base + "Nope__c/" + live}, 404, "NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := doREST(t, hc, s, tc.call)
			if a.status != tc.status || a.errorCode() != tc.code {
				t.Fatalf("%s %s answered %d %s; want %d with errorCode %s", tc.call.method, tc.call.path, a.status, a.body, tc.status, tc.code)
			}
		})
	}
	if s.Bus.Tip() != tip {
		t.Fatalf("refused writes appended %d change events", s.Bus.Tip()-tip)
	}
	if rec, _ := s.Org.Get(live); rec.Get("Subject") != "Open" {
		t.Fatalf("a refused update changed the case: Subject %v", rec.Get("Subject"))
	}
}
