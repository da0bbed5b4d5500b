package salesforce

import (
	"fmt"
	"time"
)

// DefaultInstanceURL is the simulated org's instance URL until it serves REST.
const DefaultInstanceURL = "https://sfcdc-sim.my.salesforce.com"

// SimConfig configures a whole simulated org with its Pub/Sub endpoint.
type SimConfig struct {
	Org    Config
	PubSub PubSubConfig
	// Clock drives commit timestamps, retention and token expiry (wall
	// clock when nil).
	Clock Clock
	// Retention of the event bus (DefaultRetention when 0).
	Retention time.Duration
	// InstanceURL the org expects in the instanceurl metadata
	// (DefaultInstanceURL when empty).
	InstanceURL string
}

// Sim is a running simulated org: records, change events, the event bus, the
// session registry, fault injection and the Pub/Sub API endpoint.
type Sim struct {
	Org         *Org
	Bus         *Bus
	Tokens      *Tokens
	Faults      *Faults
	PubSub      *PubSubServer
	InstanceURL string
	// AccessToken is a session issued at start, for demos and tests.
	AccessToken string
}

// Start builds the org and starts its Pub/Sub endpoint.
func Start(cfg SimConfig) (*Sim, error) {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.InstanceURL == "" {
		cfg.InstanceURL = DefaultInstanceURL
	}
	bus := NewBus(cfg.Clock, cfg.Retention)
	org, err := NewOrg(cfg.Org, cfg.Clock, bus)
	if err != nil {
		return nil, fmt.Errorf("start simulated org: %w", err)
	}
	s := &Sim{Org: org, Bus: bus, Tokens: NewTokens(cfg.Clock, org.ID()), Faults: &Faults{}, InstanceURL: cfg.InstanceURL}
	s.AccessToken = s.Tokens.Issue()
	s.PubSub, err = StartPubSub(s.Backend(), cfg.PubSub)
	if err != nil {
		return nil, fmt.Errorf("start simulated Pub/Sub API: %w", err)
	}
	return s, nil
}

// Backend is what the Pub/Sub service serves, for callers that run their own
// grpc.Server (RegisterPubSub).
func (s *Sim) Backend() PubSubBackend {
	return PubSubBackend{OrgID: s.Org.ID(), InstanceURL: s.InstanceURL, Topics: s.Org, Bus: s.Bus, Tokens: s.Tokens, Faults: s.Faults}
}

// Close stops the endpoint.
func (s *Sim) Close() {
	if s.PubSub != nil {
		s.PubSub.Close()
	}
}
