package simrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// CommsMining is what the banner says about the simulated CM API: the
// base URL and token for commsmining.base_url and commsmining.token, and
// the source it created.
type CommsMining struct {
	CommsMiningURL     string `json:"commsmining_url"`
	CommsMiningToken   string `json:"commsmining_token"`
	CommsMiningProject string `json:"commsmining_project"`
	CommsMiningSource  string `json:"commsmining_source"`
}

// CMFault is the fault injected into the simulated CM (commsmining.Fault):
// a status instead of an answer, a slow answer, or an accepted request that
// is never answered. The zero value injects none.
type CMFault struct {
	Status            int
	RetryAfter        string
	Latency           time.Duration
	AcceptThenTimeout bool
	// Times applies the fault to the first Times requests only (0: every
	// request).
	Times int
	// Endpoint is one of CMFaultEndpoints ("" is the sync endpoint).
	Endpoint string
}

// CMFaultEndpoints are the values of CMFault.Endpoint; "any" hits every
// CM request.
var CMFaultEndpoints = []string{string(commsmining.EndpointSync), string(commsmining.EndpointDelete),
	string(commsmining.EndpointGetComment), string(commsmining.EndpointListComments), string(commsmining.EndpointSources), "any"}

// fault is the commsmining.Fault of f, and whether any is set.
func (f CMFault) fault() (commsmining.Fault, bool) {
	if f.Status == 0 && f.Latency == 0 && !f.AcceptThenTimeout {
		return commsmining.Fault{}, false
	}
	ep := commsmining.Endpoint(f.Endpoint)
	switch f.Endpoint {
	case "any":
		ep = commsmining.AnyEndpoint
	case "":
		ep = commsmining.EndpointSync
	}
	times := f.Times
	if times == 0 {
		times = math.MaxInt // every request while the simulator runs
	}
	return commsmining.Fault{Endpoint: ep, Status: f.Status, RetryAfter: f.RetryAfter, Delay: f.Latency,
		AcceptThenTimeout: f.AcceptThenTimeout, Times: times}, true
}

// startCM starts the CM simulator (with its fault and the admin
// endpoints, traffic's and oauth's among them) on c.CMAddr; stop ends it.
func startCM(c Config, traffic *simTraffic, oauth func() sfsim.OAuthCounts) (_ CommsMining, stop func(), err error) {
	project, source, ok := strings.Cut(c.CMSource, "/")
	if !ok {
		return CommsMining{}, nil, fmt.Errorf("CM source %s: %w: want project/source", quote.Value(c.CMSource), ErrConfig)
	}
	cm, err := commsmining.New(commsmining.Options{Sources: []string{c.CMSource}, RejectUnknownFields: true})
	if err != nil {
		return CommsMining{}, nil, fmt.Errorf("start the simulated CM: %w: %w", ErrConfig, err)
	}
	if fault, ok := c.CMFault.fault(); ok {
		cm.InjectFault(fault)
	}
	lis, err := net.Listen("tcp", c.CMAddr)
	if err != nil {
		_ = cm.Close()
		return CommsMining{}, nil, fmt.Errorf("start simulated CM: %w", err)
	}
	srv := &http.Server{Handler: cmHandler(cm, traffic, oauth), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed under the server: nothing left to serve
		}
	}()
	banner := CommsMining{CommsMiningURL: "http://" + lis.Addr().String(), CommsMiningToken: cm.Token(),
		CommsMiningProject: project, CommsMiningSource: source}
	return banner, func() { _ = srv.Close(); <-served; _ = cm.Close() }, nil
}

// cmHandler serves the CM API and the admin endpoints: GET /_sim/stats,
// the simulator's counters (requests, comments, billable units, and the
// same per source under Sources) as JSON; GET
// /_sim/stats/{project}/{source}, one source's counters (404 with CM's
// error body for a source that does not exist, as CM answers for one);
// GET /_sim/oauth, what the orgs' connected apps' OAuth endpoints did
// (sfsim.OAuthCounts: refreshes, rotations, grants revoked…); and the
// traffic switch (simTraffic.routes). Faults never hit them.
func cmHandler(cm *commsmining.Server, traffic *simTraffic, oauth func() sfsim.OAuthCounts) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", cm.Handler())
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeSimJSON(w, cm.Stats())
	})
	mux.HandleFunc("GET /_sim/stats/{project}/{source}", func(w http.ResponseWriter, r *http.Request) {
		project, source := r.PathValue("project"), r.PathValue("source")
		st, ok := cm.SourceStats(project, source)
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "message": fmt.Sprintf("source %s/%s not found", project, source)})
			return
		}
		writeSimJSON(w, st)
	})
	mux.HandleFunc("GET /_sim/oauth", func(w http.ResponseWriter, _ *http.Request) {
		writeSimJSON(w, oauth())
	})
	traffic.routes(mux)
	return mux
}
