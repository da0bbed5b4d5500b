package salesforce

import (
	"crypto/tls"
	"fmt"
	"time"
)

// DefaultInstanceURL is the instance URL of a Pub/Sub backend built without
// Start (RegisterPubSub in tests); Start uses its REST server's URL.
const DefaultInstanceURL = "https://sfcdc-sim.my.salesforce.com"

// SimConfig configures a whole simulated org with its endpoints.
type SimConfig struct {
	Org    Config
	PubSub PubSubConfig
	// REST configures the REST API and OAuth endpoint. It serves TLS with
	// the same generated CA as the Pub/Sub endpoint (PubSub.CAFile), or
	// plaintext when PubSub.Insecure.
	REST RESTConfig
	// Clock drives commit timestamps, retention, token expiry, the API
	// allocation window and OAuth code expiry (wall clock when nil).
	Clock Clock
	// Retention of the event bus (DefaultRetention when 0).
	Retention time.Duration
	// InstanceURL overrides the instance URL the org reports and expects in
	// the instanceurl metadata (the REST server's URL when empty).
	InstanceURL string
}

// Sim is a running simulated org: records, change events, the event bus, the
// session registry, fault injection, the Pub/Sub API endpoint and the REST
// and OAuth endpoint.
type Sim struct {
	Org        *Org
	Bus        *Bus
	Tokens     *Tokens
	Faults     *Faults
	RESTFaults *RESTFaults
	PubSub     *PubSubServer
	REST       *RESTServer
	// InstanceURL is where the org's REST API is (the REST server's URL).
	InstanceURL string
	// LoginURL is the OAuth login host (the same server): authorize and
	// token endpoints live under /services/oauth2/, and it is the JWT
	// audience.
	LoginURL string
	// AccessToken is a session issued at start, for demos and tests.
	AccessToken string
	// tempDir holds the generated CA file when the caller chose none;
	// Close removes it.
	tempDir string
	// view: one org of a World, whose endpoints the World owns (Close
	// does nothing).
	view bool
}

// Start builds the org and starts its Pub/Sub, REST and OAuth endpoints.
func Start(cfg SimConfig) (_ *Sim, err error) {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	bus := NewBus(cfg.Clock, cfg.Retention)
	org, err := NewOrg(cfg.Org, cfg.Clock, bus)
	if err != nil {
		return nil, fmt.Errorf("start simulated org: %w", err)
	}
	s := &Sim{Org: org, Bus: bus, Tokens: NewTokens(cfg.Clock, org.ID()), Faults: &Faults{}, RESTFaults: &RESTFaults{}}
	// s is not the result: an error return sets that to nil before this
	// runs, and the endpoints already started must still be closed.
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	var tlsCfg *tls.Config
	if !cfg.PubSub.Insecure {
		if cfg.PubSub.CAFile, tlsCfg, s.tempDir, err = generateTLS(cfg.PubSub.CAFile); err != nil {
			return nil, fmt.Errorf("start simulated org: %w", err)
		}
	}
	if s.REST, err = startREST(org, s.Tokens, s.RESTFaults, cfg.REST, tlsCfg); err != nil {
		return nil, fmt.Errorf("start simulated REST API: %w", err)
	}
	s.LoginURL, s.InstanceURL = s.REST.URL(), s.REST.URL()
	if cfg.InstanceURL != "" {
		s.InstanceURL = cfg.InstanceURL
	}
	s.AccessToken = s.Tokens.Issue()
	if s.PubSub, err = startPubSub([]PubSubBackend{s.Backend()}, cfg.PubSub, tlsCfg); err != nil {
		return nil, fmt.Errorf("start simulated Pub/Sub API: %w", err)
	}
	return s, nil
}

// Backend is what the Pub/Sub service serves, for callers that run their own
// grpc.Server (RegisterPubSub).
func (s *Sim) Backend() PubSubBackend {
	return PubSubBackend{OrgID: s.Org.ID(), InstanceURL: s.InstanceURL, Topics: s.Org, Bus: s.Bus, Tokens: s.Tokens, Faults: s.Faults}
}

// Close stops the endpoints and removes the CA file Start generated (one
// the caller named in PubSub.CAFile stays). An org of a World closes
// nothing: close the World.
func (s *Sim) Close() {
	if s.view {
		return
	}
	if s.PubSub != nil {
		s.PubSub.Close()
	}
	if s.REST != nil {
		s.REST.Close()
	}
	removeTempDir(s.tempDir)
}
