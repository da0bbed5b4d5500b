package commsmining

import "testing"

// TestAFullSourceQuotaRefusesNewCommentsAndStoresNothingOfTheSync: with a
// comments_per_source quota of 2, a sync adding a third comment is refused
// whole (422 naming the quota, nothing stored, nothing billed), updates of
// held comments still pass alone, other sources are unaffected, and
// raising the quota lets the same sync through.
func TestAFullSourceQuotaRefusesNewCommentsAndStoresNothingOfTheSync(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{Sources: []string{"acme/full", "acme/other"}})
	c := newClient(t, s)
	syncTo := func(src string, comments ...map[string]any) reply {
		return c.do("POST", "/api/v1/sources/"+src+"/sync", map[string]any{"comments": comments})
	}
	s.SetSourceQuota("acme", "full", 2)
	wantOK(t, syncTo("acme/full", comment("a", "one"), comment("b", "two")), 2, 0, 0)
	wantError(t, syncTo("acme/full", comment("a", "one, edited"), comment("c", "three")), 422, QuotaMessagePrefix)
	if s.Len("acme", "full") != 2 {
		t.Fatalf("the refused sync stored something: %d comments", s.Len("acme", "full"))
	}
	if got, _ := s.Comment("acme", "full", "a"); got.Messages[0].Body != "one" {
		t.Fatalf("the refused sync's update of a was applied: %q", got.Messages[0].Body)
	}
	wantOK(t, syncTo("acme/full", comment("a", "one, edited")), 0, 1, 0)
	wantOK(t, syncTo("acme/other", comment("c", "three"), comment("d", "four"), comment("e", "five")), 3, 0, 0)
	st := s.Stats()
	if st.QuotaRefused != 1 || st.Sources["acme/full"].BillableUnits != 3 {
		t.Fatalf("quota refusals %d, billed %d; want 1 and 3", st.QuotaRefused, st.Sources["acme/full"].BillableUnits)
	}
	s.SetSourceQuota("acme", "full", 0)
	wantOK(t, syncTo("acme/full", comment("c", "three")), 1, 0, 0)
}
