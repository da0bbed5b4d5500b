package salesforce_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
)

// TestTheConfiguredAPIVersionIsInEveryRESTPath: api_version, not a
// built-in constant, is the version segment of every REST call the client
// makes — query and its next page, queryAll, Collections retrieve and both
// describes — as seen on the wire by a proxy in front of the org. "v59.0"
// and "59.0" mean the same version; no value means DefaultAPIVersion.
func TestTheConfiguredAPIVersionIsInEveryRESTPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		configured, want string
	}{
		{"58.0", "v58.0"},
		{"v59.0", "v59.0"},
		{"", "v" + salesforce.DefaultAPIVersion},
	} {
		t.Run("api_version "+tc.configured, func(t *testing.T) {
			org := startOrgBehindProxy(t, false)
			ids := createCases(t, org.sim, salesforce.MinQueryBatchSize+1) // two pages at the smallest batch size
			c, err := salesforce.NewClient(salesforce.Config{APIVersion: tc.configured, Logger: (&logBuffer{}).logger()}, org.credentials(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.APIVersion() != tc.want {
				t.Fatalf("APIVersion() = %q, want %q", c.APIVersion(), tc.want)
			}
			ctx := t.Context()
			opts := salesforce.QueryOptions{BatchSize: salesforce.MinQueryBatchSize}
			for _, query := range []func() int{
				func() int { return countRecords(t, c.Query(ctx, "SELECT Id FROM Case", opts)) },
				func() int { return countRecords(t, c.QueryAll(ctx, "SELECT Id FROM Case", opts)) },
			} {
				if n := query(); n != len(ids) {
					t.Fatalf("query returned %d records, want %d", n, len(ids))
				}
			}
			if got, err := c.Retrieve(ctx, "Case", ids[:2], []string{"Subject"}); err != nil || len(got) != 2 || got[1].ID() != ids[1] {
				t.Fatalf("retrieve: %v, %v", got, err)
			}
			if d, err := c.Describe(ctx, "Case"); err != nil || !d.HasChangeEvent {
				t.Fatalf("describe: %+v, %v", d, err)
			}

			prefix := "/services/data/" + tc.want + "/"
			var resources []string
			for _, r := range org.dataRequests() {
				method, path, _ := strings.Cut(r, " ")
				rest, ok := strings.CutPrefix(path, prefix)
				if !ok {
					t.Fatalf("%s does not carry API version %s", r, tc.want)
				}
				resources = append(resources, method+" "+withoutLocator(rest))
			}
			want := []string{
				"GET query", "GET <next page>",
				"GET queryAll", "GET <next page>",
				"POST composite/sobjects/Case",
				"GET sobjects/Case/describe", "GET sobjects/CaseChangeEvent/describe",
			}
			if !slices.Equal(resources, want) {
				t.Fatalf("REST requests under %s:\n  %s\nwant:\n  %s", prefix, strings.Join(resources, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// withoutLocator names a next-page path (query/<locator>, as the server's
// nextRecordsUrl gives it) without its locator, which differs every run.
func withoutLocator(resource string) string {
	if base, _, ok := strings.Cut(resource, "/"); ok && (base == "query" || base == "queryAll") {
		return "<next page>"
	}
	return resource
}

// countRecords drains a query, failing the test on an error.
func countRecords(t *testing.T, records func(yield func(salesforce.Record, error) bool)) int {
	t.Helper()
	n := 0
	for _, err := range records {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
