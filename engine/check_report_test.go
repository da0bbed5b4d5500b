package engine_test

import (
	"bytes"
	"testing"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestAReportIsItsNotesAndProblemsOrTheOKLine(t *testing.T) {
	spec := integration.Spec{CommsMining: uploader.Config{Project: "support", Source: "salesforce"}}
	ok := engine.Report{Notes: []string{"Task has no change event: polled"}, Org: "00D000000000001", Store: "file /tmp/state.db",
		Objects: 2, Fields: 9, Topics: 1}
	var out bytes.Buffer
	ok.Write(&out, spec)
	want := "note: Task has no change event: polled\n" +
		"OK: org 00D000000000001: 2 objects, 9 fields, 1 topics checked; CM source support/salesforce found, the token accepted; store file /tmp/state.db writable\n"
	if out.String() != want {
		t.Fatalf("report:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	bad := ok
	bad.AddProblem("")
	bad.AddProblem("CM refused the token")
	bad.Write(&out, spec)
	if want := "note: Task has no change event: polled\nproblem: CM refused the token\n"; out.String() != want {
		t.Fatalf("report with a problem:\n%s\nwant:\n%s", out.String(), want)
	}
}
