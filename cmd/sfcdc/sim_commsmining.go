package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
)

// simCommsMining is what the banner of `sfcdc sim` says about its
// simulated CM API: the base URL and token for commsmining.base_url and
// commsmining.token, and the source it created.
type simCommsMining struct {
	CommsMiningURL     string `json:"commsmining_url"`
	CommsMiningToken   string `json:"commsmining_token"`
	CommsMiningProject string `json:"commsmining_project"`
	CommsMiningSource  string `json:"commsmining_source"`
}

// simExtras are the `sfcdc sim` flags of the CM simulator and of record
// seeding.
type simExtras struct {
	cmAddr      string
	cmSource    string
	seedRecords int
	seedObject  string
	apiLimit    int
}

// addSimExtras registers the flags on the sim command.
func addSimExtras(cmd *cobra.Command) *simExtras {
	e := &simExtras{}
	fl := cmd.Flags()
	fl.StringVar(&e.cmAddr, "commsmining-addr", "127.0.0.1:0", "address of the simulated Communications Mining API")
	fl.StringVar(&e.cmSource, "commsmining-source", "sfcdc/salesforce", "project/source created in the simulated CM")
	fl.IntVar(&e.seedRecords, "seed-records", 0, "create this many records before printing the banner (for backfills)")
	fl.StringVar(&e.seedObject, "seed-object", "EmailMessage", "object of --seed-records: EmailMessage, CaseComment, Task or Case")
	fl.IntVar(&e.apiLimit, "daily-api-limit", sfsim.DefaultDailyAPILimit, "the org's daily REST API allocation (Sforce-Limit-Info)")
	return e
}

// start seeds the org, starts the CM simulator and fills the banner; stop
// ends the simulator.
func (e *simExtras) start(s *sfsim.Sim, b *simBanner) (stop func(), err error) {
	if e.apiLimit <= 0 {
		return nil, usageError{fmt.Errorf("--daily-api-limit %d: want a positive number of calls", e.apiLimit)}
	}
	s.REST.SetDailyAPILimit(e.apiLimit)
	if err := seedRecords(s.Org, e.seedObject, e.seedRecords, s.Org.ID()); err != nil {
		return nil, err
	}
	project, source, ok := strings.Cut(e.cmSource, "/")
	if !ok {
		return nil, usageError{fmt.Errorf("--commsmining-source %s: want project/source", quote.Value(e.cmSource))}
	}
	cm, err := commsmining.New(commsmining.Options{Sources: []string{e.cmSource}, RejectUnknownFields: true})
	if err != nil {
		return nil, usageError{err}
	}
	lis, err := net.Listen("tcp", e.cmAddr)
	if err != nil {
		return nil, fmt.Errorf("start simulated CM: %w (choose another --commsmining-addr)", err)
	}
	srv := &http.Server{Handler: simCMHandler(cm), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed under the server: nothing left to serve
		}
	}()
	b.simCommsMining = simCommsMining{CommsMiningURL: "http://" + lis.Addr().String(), CommsMiningToken: cm.Token(),
		CommsMiningProject: project, CommsMiningSource: source}
	return func() { _ = srv.Close(); <-served; _ = cm.Close() }, nil
}

// simCMHandler serves the CM API and, for tests and demos, GET
// /_sim/stats: the simulator's counters (requests, comments, billable
// units) as JSON.
func simCMHandler(cm *commsmining.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", cm.Handler())
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cm.Stats())
	})
	return mux
}
