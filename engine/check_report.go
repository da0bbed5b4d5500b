package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/replay"
)

// Preflight is `sfcdc validate`'s check of every service spec and the
// store configuration name, reading only: CheckSalesforce, then
// CheckCommsMining and CheckStore, every finding in the Report. Its error
// is CheckSalesforce's, for a client the configuration cannot build.
func Preflight(ctx context.Context, spec integration.Spec, store replay.Config) (Report, error) {
	var r Report
	if err := CheckSalesforce(ctx, spec, &r); err != nil {
		return r, err
	}
	r.AddProblem(CheckCommsMining(ctx, spec.CommsMining))
	CheckStore(ctx, store, &r)
	return r, nil
}

// Write writes r for a person: each note and each problem on a line of
// its own and, when there is no problem, one line saying what was checked
// (spec names the CM source).
func (r Report) Write(w io.Writer, spec integration.Spec) {
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintf(w, "OK: org %s: %d objects, %d fields, %d topics checked; CM source %s/%s found, the token accepted; store %s writable\n",
			r.Org, r.Objects, r.Fields, r.Topics, spec.CommsMining.Project, spec.CommsMining.Source, r.Store)
	}
}
