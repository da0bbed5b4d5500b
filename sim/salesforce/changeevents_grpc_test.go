package salesforce_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// These tests read the org's change events the way a consumer does: through
// the Pub/Sub API over a real TLS socket, decoded by the event's own schema.

func startOrg(t *testing.T, cfg sfsim.Config) (*sfsim.Sim, *pubsub.Client) {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{Org: cfg, PubSub: sfsim.PubSubConfig{CAFile: t.TempDir() + "/ca.pem"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := pubsub.NewClient(pubsub.Config{Endpoint: s.PubSub.Addr(), CAFile: s.PubSub.CAFile(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func readEvents(t *testing.T, c *pubsub.Client, topic string, n int) []*pubsub.Event {
	t.Helper()
	sub := c.Subscribe(t.Context(), topic, pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	var out []*pubsub.Event
	timeout := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("stream ended after %d events: %v", len(out), sub.Err())
			}
			if m.Poison != nil {
				t.Fatalf("undecodable event: %v", m.Poison)
			}
			if m.Event != nil {
				out = append(out, m.Event)
			}
			sub.Release(m)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAnUpdateCarriesOnlyWhatChangedIncludingCompoundComponents(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 31})
	id, err := s.Org.Create("Account", sfsim.Values{"Name": "Acme", "Phone": "555-0100", "Website": "acme.example", "BillingAddress": map[string]any{"Street": "1 Main St", "City": "Springfield", "State": "IL"}})
	must(t, err)
	must(t, s.Org.Update(id, sfsim.Values{"BillingAddress": map[string]any{"City": "Shelbyville", "State": "KY"}, "Phone": nil}))
	evs := readEvents(t, c, "/data/AccountChangeEvent", 2)

	create, update := evs[0], evs[1]
	if create.Header.ChangeType != "CREATE" || create.Fields["Name"] != "Acme" || create.Fields["BillingAddress"].(map[string]any)["Street"] != "1 Main St" {
		t.Fatalf("CREATE carries %v", create.Fields)
	}
	h := update.Header
	// Top-level fields in schema order, then the address components.
	if want := []string{"Phone", "LastModifiedDate", "BillingAddress.City", "BillingAddress.State"}; !slices.Equal(h.ChangedFields, want) {
		t.Errorf("changedFields = %v, want exactly %v", h.ChangedFields, want)
	}
	if !slices.Equal(h.NulledFields, []string{"Phone"}) {
		t.Errorf("nulledFields = %v, want [Phone]", h.NulledFields)
	}
	addr, _ := update.Fields["BillingAddress"].(map[string]any)
	if addr["City"] != "Shelbyville" || addr["State"] != "KY" || addr["Street"] != nil {
		t.Errorf("BillingAddress in the UPDATE = %v, want only City and State", addr)
	}
	if update.Fields["Name"] != nil || update.Fields["Website"] != nil || update.Fields["Phone"] != nil {
		t.Errorf("unchanged fields must be null in an UPDATE: %v", update.Fields)
	}
}

func TestContactNameComponentsArriveAsExactlyTheChangedComponents(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 37})
	id, err := s.Org.Create("Contact", sfsim.Values{"Salutation": "Ms.", "FirstName": "Ada", "LastName": "Byron", "Email": "ada@example.com"})
	must(t, err)
	must(t, s.Org.Update(id, sfsim.Values{"FirstName": "Augusta", "LastName": "King"}))
	must(t, s.Org.Update(id, sfsim.Values{"Name": map[string]any{"Salutation": nil, "FirstName": "Ada"}}))
	evs := readEvents(t, c, "/data/ContactChangeEvent", 3)

	if name, _ := evs[0].Fields["Name"].(map[string]any); evs[0].Header.ChangeType != "CREATE" || name["FirstName"] != "Ada" || name["LastName"] != "Byron" || name["Salutation"] != "Ms." {
		t.Fatalf("CREATE: %s with Name %v", evs[0].Header.ChangeType, evs[0].Fields["Name"])
	}
	// Name is field 2 of the Contact event (after the header and
	// AccountId), LastModifiedDate field 13; its components are bits
	// Salutation 0x1, FirstName 0x2, LastName 0x4 of a P-0x… entry.
	for i, want := range []struct {
		raw, changed, nulled []string
		name                 map[string]any
	}{
		{raw: []string{"0x2000", "2-0x06"}, changed: []string{"LastModifiedDate", "Name.FirstName", "Name.LastName"},
			name: map[string]any{"FirstName": "Augusta", "LastName": "King"}},
		{raw: []string{"0x2000", "2-0x03"}, changed: []string{"LastModifiedDate", "Name.Salutation", "Name.FirstName"}, nulled: []string{"Name.Salutation"},
			name: map[string]any{"FirstName": "Ada"}},
	} {
		ev := evs[i+1]
		h := ev.Header
		if h.ChangeType != "UPDATE" || !slices.Equal(h.RawChangedFields, want.raw) || !slices.Equal(h.ChangedFields, want.changed) || !slices.Equal(h.NulledFields, want.nulled) {
			t.Errorf("update %d: %s changedFields %v (raw %v), nulledFields %v; want UPDATE %v (raw %v), %v",
				i+1, h.ChangeType, h.ChangedFields, h.RawChangedFields, h.NulledFields, want.changed, want.raw, want.nulled)
		}
		name, _ := ev.Fields["Name"].(map[string]any)
		for _, comp := range []string{"Salutation", "FirstName", "LastName", "MiddleName", "Suffix"} {
			if name[comp] != want.name[comp] {
				t.Errorf("update %d: Name.%s = %v, want %v (unchanged components are null)", i+1, comp, name[comp], want.name[comp])
			}
		}
		for f, v := range ev.Fields {
			if f != "Name" && f != "LastModifiedDate" && v != nil {
				t.Errorf("update %d: unchanged field %s = %v, want null", i+1, f, v)
			}
		}
	}
}

func TestLongTextUpdatesArriveAsDiffsWhenTheOrgSendsDifferences(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 32, SendDataDifferences: true})
	lines := make([]string, 40)
	for i := range lines {
		lines[i] = "Line of the case description that describes the printer fault in detail."
	}
	before := strings.Join(lines, "\n")
	id, err := s.Org.Create("Case", sfsim.Values{"Subject": "Printer", "Description": before})
	must(t, err)
	lines[20] = "The technician replaced the fuser; the fault persists."
	after := strings.Join(lines, "\n")
	must(t, s.Org.Update(id, sfsim.Values{"Description": after}))
	update := readEvents(t, c, "/data/CaseChangeEvent", 2)[1]
	if !slices.Equal(update.Header.DiffFields, []string{"Description"}) || !slices.Contains(update.Header.ChangedFields, "Description") {
		t.Fatalf("diffFields %v, changedFields %v; want Description in both", update.Header.DiffFields, update.Header.ChangedFields)
	}
	sum := sha256.Sum256([]byte(after))
	diff, _ := update.Fields["Description"].(string)
	if !strings.HasPrefix(diff, "--- \n+++ "+hex.EncodeToString(sum[:])+"\n@@") {
		t.Fatalf("Description is not a unified diff of the new value: %.120q", diff)
	}
}

func TestOversizedEventsBecomeHeaderOnlyGapEvents(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 33, MaxEventBytes: 4096})
	id, err := s.Org.Create("EmailMessage", sfsim.Values{"Subject": "Huge", "HtmlBody": strings.Repeat("<p>big</p>", 1000)})
	must(t, err)
	ev := readEvents(t, c, "/data/EmailMessageChangeEvent", 1)[0]
	if ev.Header.ChangeType != "GAP_CREATE" || !slices.Equal(ev.Header.RecordIDs, []string{id}) || ev.Fields["Subject"] != nil || len(ev.Header.ChangedFields) != 0 {
		t.Fatalf("got %s %v with fields %v", ev.Header.ChangeType, ev.Header.RecordIDs, ev.Fields)
	}
}

func TestTransactionsPastTheLimitEndInOneOverflowEventPerEntity(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 34, MaxTransactionChanges: 5})
	_, err := s.Org.Transaction(func(tx *sfsim.Tx) error {
		for range 8 {
			if _, err := tx.Create("Task", sfsim.Values{"Subject": "Follow up"}); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	evs := readEvents(t, c, "/data/TaskChangeEvent", 2)
	var types []string
	for _, e := range evs {
		types = append(types, e.Header.ChangeType)
	}
	last := evs[len(evs)-1]
	if last.Header.ChangeType != "GAP_OVERFLOW" || !slices.Equal(last.Header.RecordIDs, []string{"000000000000000AAA"}) {
		t.Fatalf("change types %v, last record IDs %v; want a final GAP_OVERFLOW for 000000000000000AAA", types, last.Header.RecordIDs)
	}
}

func TestTheSameChangeToSeveralRecordsIsOneMergedEvent(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 35})
	var ids []string
	for range 3 {
		id, err := s.Org.Create("Case", sfsim.Values{"Subject": "Outage", "Status": "New"})
		must(t, err)
		ids = append(ids, id)
	}
	_, err := s.Org.Transaction(func(tx *sfsim.Tx) error {
		for _, id := range ids {
			if err := tx.Update(id, sfsim.Values{"Status": "Working"}); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	merged := readEvents(t, c, "/data/CaseChangeEvent", 4)[3]
	if merged.Header.ChangeType != "UPDATE" || !slices.Equal(merged.Header.RecordIDs, ids) {
		t.Fatalf("got %s for %v, want one UPDATE for %v", merged.Header.ChangeType, merged.Header.RecordIDs, ids)
	}
}

func TestDeleteIsHeaderOnlyAndUndeleteCarriesTheWholeRecord(t *testing.T) {
	t.Parallel()
	s, c := startOrg(t, sfsim.Config{Seed: 36})
	id, err := s.Org.Create("Case", sfsim.Values{"Subject": "Gone", "Status": "New"})
	must(t, err)
	must(t, s.Org.Delete(id))
	must(t, s.Org.Undelete(id))
	evs := readEvents(t, c, "/data/CaseChangeEvent", 3)
	del, undel := evs[1], evs[2]
	if del.Header.ChangeType != "DELETE" || del.Fields["Subject"] != nil {
		t.Fatalf("DELETE: %s with %v", del.Header.ChangeType, del.Fields)
	}
	if undel.Header.ChangeType != "UNDELETE" || undel.Fields["Subject"] != "Gone" || undel.Fields["Status"] != "New" {
		t.Fatalf("UNDELETE: %s with %v", undel.Header.ChangeType, undel.Fields)
	}
}
