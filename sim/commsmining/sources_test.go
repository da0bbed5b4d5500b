package commsmining

import (
	"testing"
)

// TestManySourcesAreCountedApart: two integrations write to their own
// sources of one CM; each source's counters hold only its own requests, a
// source nobody wrote to counts zero, and a missing source answers 404 as
// CM does and counts nowhere.
func TestManySourcesAreCountedApart(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{Sources: []string{"org1/salesforce", "org2/salesforce", "org3/salesforce"}})
	c := newClient(t, s)
	syncTo := func(src string, comments ...map[string]any) reply {
		return c.do("POST", "/api/v1/sources/"+src+"/sync", map[string]any{"comments": comments})
	}
	wantOK(t, syncTo("org1/salesforce", comment("a", "one"), comment("b", "two")), 2, 0, 0)
	wantOK(t, syncTo("org2/salesforce", comment("a", "one")), 1, 0, 0)
	wantOK(t, syncTo("org2/salesforce", comment("a", "changed")), 0, 1, 0)
	wantOK(t, c.do("DELETE", "/api/v1/sources/org1/salesforce/comments?id=b", nil))
	wantError(t, syncTo("org9/salesforce", comment("a", "one")), 404, "not found")

	want := map[string]SourceStats{
		"org1/salesforce": {SyncRequests: 1, CommentsReceived: 2, New: 2, Deleted: 1, BillableUnits: 2},
		"org2/salesforce": {SyncRequests: 2, CommentsReceived: 2, New: 1, Updated: 1, BillableUnits: 2},
		"org3/salesforce": {},
	}
	st := s.Stats()
	if len(st.Sources) != len(want) {
		t.Errorf("stats of %d sources, want %d: %+v", len(st.Sources), len(want), st.Sources)
	}
	for key, w := range want {
		if got := st.Sources[key]; got != w {
			t.Errorf("%s: %+v, want %+v", key, got, w)
		}
	}
	if got, ok := s.SourceStats("org2", "salesforce"); !ok || got != want["org2/salesforce"] {
		t.Errorf("SourceStats(org2/salesforce) = %+v, %v", got, ok)
	}
	if _, ok := s.SourceStats("org9", "salesforce"); ok {
		t.Error("SourceStats of a missing source reports one")
	}
	// The totals are the sum of the sources.
	if st.CommentsReceived != 4 || st.New != 3 || st.Updated != 1 || st.Deleted != 1 || st.BillableUnits != 4 {
		t.Errorf("totals %+v", st)
	}
	s.ResetStats()
	if got, _ := s.SourceStats("org1", "salesforce"); got != (SourceStats{}) {
		t.Errorf("after ResetStats: %+v", got)
	}
}
