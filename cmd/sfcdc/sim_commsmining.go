package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
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
	cmFault     simCMFault
}

// simCMFault is the fault the --cm-fault-… flags inject into the simulated
// CM (commsmining.Fault): a status instead of an answer, a slow answer, or
// an accepted request that is never answered.
type simCMFault struct {
	status        int
	retryAfter    string
	latency       time.Duration
	acceptTimeout bool
	times         int
	endpoint      string
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
	fl.IntVar(&e.cmFault.status, "cm-fault-status", 0, "answer CM requests with this HTTP status and CM's error body instead of handling them (429: rate limited; 500, 502, 503: an outage)")
	fl.StringVar(&e.cmFault.retryAfter, "cm-fault-retry-after", "", "send this Retry-After (seconds or an HTTP date) with --cm-fault-status; without it a 429 carries none")
	fl.DurationVar(&e.cmFault.latency, "cm-fault-latency", 0, "hold each CM answer back this long (a slow CM)")
	fl.BoolVar(&e.cmFault.acceptTimeout, "cm-fault-accept-then-timeout", false, "store and bill each request's comments, then never answer: the client times out and retries")
	fl.IntVar(&e.cmFault.times, "cm-fault-times", 0, "apply the CM fault to the first N requests only, then answer normally (0: every request)")
	fl.StringVar(&e.cmFault.endpoint, "cm-fault-endpoint", string(commsmining.EndpointSync), "which CM requests the fault hits: "+strings.Join(simCMEndpoints, ", "))
	return e
}

// simCMEndpoints are the values of --cm-fault-endpoint.
var simCMEndpoints = []string{string(commsmining.EndpointSync), string(commsmining.EndpointDelete),
	string(commsmining.EndpointGetComment), string(commsmining.EndpointListComments), string(commsmining.EndpointSources), "any"}

// check refuses flag values that cannot work, before anything starts.
func (e *simExtras) check() error {
	f := e.cmFault
	switch {
	case e.apiLimit <= 0:
		return usageError{fmt.Errorf("--daily-api-limit %d: want a positive number of calls", e.apiLimit)}
	case f.status != 0 && (f.status < 400 || f.status > 599):
		return usageError{fmt.Errorf("--cm-fault-status %d: want an error status from 400 to 599, e.g. 429 or 503", f.status)}
	case f.retryAfter != "" && f.status == 0:
		return usageError{fmt.Errorf("--cm-fault-retry-after needs --cm-fault-status (e.g. --cm-fault-status 429)")}
	case f.acceptTimeout && f.status != 0:
		return usageError{fmt.Errorf("--cm-fault-accept-then-timeout and --cm-fault-status exclude each other: a request is either refused or accepted; drop one")}
	case f.latency < 0 || f.times < 0:
		return usageError{fmt.Errorf("--cm-fault-latency and --cm-fault-times must not be negative")}
	case !slices.Contains(simCMEndpoints, f.endpoint):
		return usageError{fmt.Errorf("--cm-fault-endpoint %s: want one of %s", quote.Value(f.endpoint), strings.Join(simCMEndpoints, ", "))}
	}
	return nil
}

// fault is the commsmining.Fault of the flags, and whether any is set.
func (f simCMFault) fault() (commsmining.Fault, bool) {
	if f.status == 0 && f.latency == 0 && !f.acceptTimeout {
		return commsmining.Fault{}, false
	}
	ep := commsmining.Endpoint(f.endpoint)
	if f.endpoint == "any" {
		ep = commsmining.AnyEndpoint
	}
	times := f.times
	if times == 0 {
		times = math.MaxInt // every request while the simulator runs
	}
	return commsmining.Fault{Endpoint: ep, Status: f.status, RetryAfter: f.retryAfter, Delay: f.latency,
		AcceptThenTimeout: f.acceptTimeout, Times: times}, true
}

// start seeds the org, starts the CM simulator (with its fault and the
// admin endpoints, traffic's among them) and fills the banner; stop ends
// the simulator.
func (e *simExtras) start(s *sfsim.Sim, b *simBanner, traffic *simTraffic) (stop func(), err error) {
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
	if fault, ok := e.cmFault.fault(); ok {
		cm.InjectFault(fault)
	}
	lis, err := net.Listen("tcp", e.cmAddr)
	if err != nil {
		return nil, fmt.Errorf("start simulated CM: %w (choose another --commsmining-addr)", err)
	}
	srv := &http.Server{Handler: simCMHandler(cm, traffic), ReadHeaderTimeout: 10 * time.Second}
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

// simCMHandler serves the CM API and the admin endpoints: GET /_sim/stats,
// the simulator's counters (requests, comments, billable units) as JSON,
// and the traffic switch (simTraffic.routes). Faults never hit them.
func simCMHandler(cm *commsmining.Server, traffic *simTraffic) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", cm.Handler())
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeSimJSON(w, cm.Stats())
	})
	traffic.routes(mux)
	return mux
}
