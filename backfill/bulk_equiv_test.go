package backfill_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// variedEmailValues is an EmailMessage whose fields take, by i, the
// values that read differently through a Bulk CSV and a REST JSON page:
// nulls, empty strings, CRLF and LF line breaks inside the text, quotes
// and delimiters, accents, emoji, leading and trailing blanks, HTML-only
// bodies, and no date. bodyBytes > 0 pads the body to between bodyBytes
// and twice that (5,000: the 5–10 KB of a typical support email).
func variedEmailValues(caseID string, i, bodyBytes int) sfsim.Values {
	v := sfsim.Values{
		"ParentId": caseID, "FromAddress": "zoë@example.com", "ToAddress": "support@example.com",
		"Incoming": i%3 != 0, "Status": fmt.Sprint(i % 4),
		"MessageDate": time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
	}
	lines := []string{
		fmt.Sprintf("Bonjour, message n° %d — crème brûlée, naïve façade.", i),
		"Emoji: 🙂🚀👩🏽‍💻 and \"quoted, text\"; commas, semicolons; tabs\there.",
		"Línea con acentos: áéíóú ñ ü — 日本語のテキスト。",
	}
	sep := "\n"
	if i%2 == 0 {
		sep = "\r\n" // Outlook and most mail clients break lines so
	}
	var text strings.Builder
	text.WriteString(strings.Join(lines, sep))
	target := 0
	if bodyBytes > 0 {
		target = bodyBytes + (i*7919)%(bodyBytes+1)
		text.Grow(target + 100)
	}
	for text.Len() < target {
		fmt.Fprintf(&text, "%sLine %d of message %d: the order shipped, the invoice follows, thank you.", sep, text.Len(), i)
	}
	body := text.String()
	switch i % 10 {
	case 0: // only an HTML body
		v["HtmlBody"] = "<p>" + strings.ReplaceAll(body, sep, "<br>") + "</p>"
	case 1: // an empty text body beside an HTML one
		v["TextBody"], v["HtmlBody"] = "", "<div>Ciao &amp; grazie 🎉</div>"
	case 2: // no subject, blanks around the body
		v["TextBody"] = "  \t" + body + "  "
	case 3: // an empty subject and no date
		v["Subject"], v["TextBody"], v["MessageDate"] = "", body, nil
	case 4: // a body that is only a line break
		v["Subject"], v["TextBody"] = "Ligne vide", sep
	default:
		v["Subject"], v["TextBody"] = fmt.Sprintf("Re: commande %d — “urgent” ✅", i), body
	}
	return v
}

// seedVariedEmails creates n variedEmailValues records on one case,
// perTx per transaction, and returns their IDs.
func seedVariedEmails(t testing.TB, org *sfsim.Org, n, perTx, bodyBytes int) []string {
	return seedEmailsWith(t, org, n, perTx, func(caseID string, i int) sfsim.Values {
		return variedEmailValues(caseID, i, bodyBytes)
	})
}

// cmDocuments is every stored comment of w's CM as JSON, by comment ID:
// the text, the subject, the addresses, the timestamps and the user
// properties, everything a path could render differently (not CM's
// own instants of storing it).
func (w *world) cmDocuments(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range w.CM.Comments(cmProject, cmSource) {
		// CM's own bookkeeping instants say when it stored the comment.
		c.CreatedAt, c.UpdatedAt, c.LastSyncedAt = time.Time{}, time.Time{}, time.Time{}
		doc, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out[c.ID] = string(doc)
	}
	return out
}

// The same varied emails read through a Bulk job and over REST land as
// byte-identical comments, across page boundaries of both.
//
// 2,500 emails (it was 10,000) are enough: the varieties repeat every 60
// emails (i mod 10, 4, 3 and 2), so each combination occurs about 40
// times; both paths read 5 pages of 500 rows (Bulk pages with their own
// header row, REST pages by nextRecordsUrl); and a page of 500 rows is
// over 100 KB of CSV, more than the 64 KB buffer of the CSV guard, so
// rows still straddle its refills.
func TestBulkAndRESTLandByteIdenticalCommentsForVariedEmailsAcrossPages(t *testing.T) {
	t.Parallel()
	const n, page = 2_500, 500
	// Both orgs' clocks stand at one instant, so the CreatedDate a record
	// without MessageDate is dated by is the same in both.
	at := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	bulkWorld := newWorld(t, simworld.Options{Bulk: quickBulk, Clock: &fixedClock{t: at}})
	restWorld := newWorld(t, simworld.Options{Bulk: quickBulk, Clock: &fixedClock{t: at}})
	seedVariedEmails(t, bulkWorld.Sim.Org, n, 500, 0)
	seedVariedEmails(t, restWorld.Sim.Org, n, 500, 0)
	sum, err := bulkWorld.backfill(t, setup{cfg: backfill.Config{API: backfill.APIBulk, BulkMaxRecords: page}}).Run(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Objects[0].API; got != "bulk" {
		t.Fatalf("read over %q (%s), want bulk", got, sum.Objects[0].APIReason)
	}
	restSum, err := restWorld.backfill(t, setup{cfg: backfill.Config{API: backfill.APIREST, PageSize: page}}).Run(t.Context(), backfill.Request{})
	if err != nil {
		t.Fatal(err)
	}
	// Each path read page after page, or the comparison crossed no page
	// boundary: at least n/page calls each.
	if sum.RESTCalls < n/page || restSum.RESTCalls < n/page {
		t.Fatalf("Bulk made %d calls and REST %d, want at least %d each (one per page)", sum.RESTCalls, restSum.RESTCalls, n/page)
	}
	bulkDocs, restDocs := bulkWorld.cmDocuments(t), restWorld.cmDocuments(t)
	if len(bulkDocs) != n || len(restDocs) != n {
		t.Fatalf("CM holds %d comments from Bulk and %d from REST, want %d each", len(bulkDocs), len(restDocs), n)
	}
	differ := 0
	for id, rest := range restDocs {
		if bulk := bulkDocs[id]; bulk != rest {
			if differ++; differ <= 3 {
				t.Errorf("comment %s differs:\n bulk %s\n rest %s", id, bulk, rest)
			}
		}
	}
	if differ > 0 {
		t.Fatalf("%d of %d comments differ between the Bulk and the REST path", differ, n)
	}
	if err := sameBodies(bulkWorld.Bodies(), bulkWorld.wantBodies(t)); err != nil {
		t.Fatal(err)
	}
}
