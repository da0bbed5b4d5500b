package salesforce

import (
	"encoding/json"
	"net/http"
	"testing"
)

// pageSizes runs each query with each Sforce-Query-Options header and
// checks the first page's size: the requested size clamped to 200–2,000,
// or 200 for the queries marked capped.
func pageSizes(t *testing.T, h *restHarness, capped map[string]bool) {
	t.Helper()
	requested := map[string]int{"": 2000, "batchSize=1000": 1000, "batchSize=100": 200, "batchSize=3000": 2000, "batchSize=x": 2000}
	for soql, isCapped := range capped {
		for header, size := range requested {
			want := size
			if isCapped {
				want = 200
			}
			var page struct {
				Records []json.RawMessage `json:"records"`
			}
			a := h.query(t, "query", soql, http.Header{"Sforce-Query-Options": {header}})
			a.json(t, &page)
			if a.status != 200 || len(page.Records) != want {
				t.Fatalf("%s with %q: %d records, want %d", soql, header, len(page.Records), want)
			}
		}
	}
}

func TestQueriesSelectingTwoCustomLongTextFieldsGetPagesOf200(t *testing.T) {
	t.Parallel()
	h := startRESTHarnessWith(t, bulkOrgConfig, RESTConfig{})
	h.createCases(t, 2500)
	pageSizes(t, h, map[string]bool{
		"SELECT Id, Notes__c, Summary__c FROM Case":            true,
		"SELECT Id, Parent.Notes__c, Summary__c FROM Case":     true, // through a relationship too
		"SELECT Id, Description, Notes__c FROM Case":           false,
		"SELECT Id, Description, Parent.Description FROM Case": false,
		"SELECT Id, Notes__c FROM Case":                        false,
		"SELECT Id, Subject FROM Case":                         false,
	})
}

func TestStandardLongTextShrinksPagesWhenTheOrgIsSetSo(t *testing.T) {
	t.Parallel()
	h := startRESTHarnessWith(t, bulkOrgConfig, RESTConfig{StandardLongTextShrinksPages: true})
	h.createCases(t, 2500)
	pageSizes(t, h, map[string]bool{
		"SELECT Id, Notes__c, Summary__c FROM Case":            true,
		"SELECT Id, Description, Notes__c FROM Case":           true,
		"SELECT Id, Description, Parent.Description FROM Case": true,
		"SELECT Id, Description FROM Case":                     false,
		"SELECT Id, Subject FROM Case":                         false,
	})
}
