package simrun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// Config is the simulated world to start.
type Config struct {
	PubSubAddr string // the Pub/Sub API endpoint
	RESTAddr   string // the REST and OAuth endpoint (instance and login URL)
	// CAFile is where to write the generated CA certificate (empty: a
	// file in the run's folder).
	CAFile   string
	Insecure bool // serve plaintext on loopback addresses instead of TLS
	Seed     uint64
	// Rate is generated events per second until the context of Generate
	// ends; Events, if set, generates exactly that many as fast as
	// possible instead.
	Rate   float64
	Events int
	// Keepalive is the longest silence on an idle stream.
	Keepalive time.Duration
	// RetainEvents keeps the newest N change events on the bus (and the
	// generator's records as long as an event names them); 0 keeps
	// everything for 72 hours.
	RetainEvents int
	// StreamFaults are the Pub/Sub stream faults; TokenTTL expires access
	// tokens that long after they are issued (0: never).
	StreamFaults sfsim.FaultSettings
	TokenTTL     time.Duration
	// TokenIdleTimeout ends an access token that no call used for that
	// long (Salesforce's sliding session timeout; 0: off).
	TokenIdleTimeout time.Duration
	// RotateRefreshTokens turns on refresh token rotation in every org's
	// connected app: each refresh answers a new refresh token and a
	// rotated-out one presented again revokes the grant.
	RotateRefreshTokens bool
	// RefreshDelay is how long each refresh of every org's connected app
	// takes to process (0: answers at once): a second refresh with the
	// same token meanwhile gets "token request is already being
	// processed", as Salesforce answers.
	RefreshDelay time.Duration
	// RefreshTokenPolicy is every org's connected app's refresh token
	// policy: "Expire refresh token after" and "if not used for" (valid
	// until revoked when zero).
	RefreshTokenPolicy sfsim.RefreshTokenPolicy
	// CallbackURLs are the redirect URIs registered in every org's
	// connected app, matched exactly (a hosted deployment's
	// public_url + /external/salesforce/oauth2/callback); empty: any
	// loopback http://…/oauth2/callback.
	CallbackURLs []string
	// DailyAPILimit is the org's daily REST API allocation.
	DailyAPILimit int
	// SeedRecords records of SeedObject (one of SeedObjects) are created
	// before Start returns.
	SeedRecords int
	SeedObject  string
	// CMAddr is the simulated CM API's address; CMSource the
	// project/source created in it; CMFault a fault it injects.
	CMAddr   string
	CMSource string
	CMFault  CMFault
	// OnGeneratorStopped hears of an error that stopped the Rate
	// generator (the world keeps serving).
	OnGeneratorStopped func(error)
	// Orgs is how many simulated orgs (0 or 1: one, as before). More
	// orgs run as one sfsim.World: one Pub/Sub endpoint (PubSubAddr)
	// telling them apart by tenantid, one REST listener whose port
	// (RESTAddr, host 127.0.0.1) every org's instance URL shares, each
	// org at its own loopback address, and the first org's instance as
	// the login host. Org i (0-based) is seeded with Seed+i (random when
	// Seed is 0); Rate, Events, SeedRecords, RetainEvents, StreamFaults,
	// TokenTTL, TokenIdleTimeout, RotateRefreshTokens, RefreshDelay,
	// RefreshTokenPolicy and DailyAPILimit apply to each org.
	Orgs int
}

// orgCount is Config.Orgs with its default.
func (c Config) orgCount() int { return max(c.Orgs, 1) }

// orgSeed is the seed of org i: Seed+i, or random (0) when Seed is 0.
func (c Config) orgSeed(i int) uint64 {
	if c.Seed == 0 {
		return 0
	}
	return c.Seed + uint64(i)
}

// ErrConfig marks a Config that cannot work (an unknown seed object, a CM
// source that is not project/source); the caller names its setting.
var ErrConfig = errors.New("invalid simulator configuration")

// Banner is everything a client needs, printed by `sfcdc sim` as its first
// line of output.
type Banner struct {
	PubSubAddr  string   `json:"pubsub_addr"`
	CAFile      string   `json:"ca_file"`
	Insecure    bool     `json:"insecure"`
	AccessToken string   `json:"access_token"`
	InstanceURL string   `json:"instance_url"`
	TenantID    string   `json:"tenant_id"`
	Topics      []string `json:"topics"`
	// StateFile is a path in this run's folder for the daemon's file
	// store (examples/sim.yaml uses it): a new simulated org starts with
	// new state, and the file goes when the world closes.
	StateFile string `json:"state_file"`
	Login
	CommsMining
	// Orgs lists every org, the first being the one the keys above
	// describe (issue 16: many integrations in one deployment).
	Orgs []OrgBanner `json:"orgs"`
}

// OrgBanner is what an integration of one simulated org needs besides
// the shared endpoints: its tenant, instance, a session, its connected app
// and user. The instance URLs of a world of many orgs are loopback
// addresses other than the login host's, so a client that checks the
// instance URL (sfcdc's salesforce.auth.trusted_hosts) must trust each.
type OrgBanner struct {
	TenantID     string `json:"tenant_id"`
	InstanceURL  string `json:"instance_url"`
	AccessToken  string `json:"access_token"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Username     string `json:"username"`
}

// Login is what `sfcdc auth login` needs from the simulator: its login
// URL and the demo connected app (any http://localhost:<port>/oauth2/callback
// is accepted, PKCE optional).
type Login struct {
	LoginURL     string `json:"login_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Running is a started world. Close stops it.
type Running struct {
	Banner Banner
	// Sim is the (first) simulated org, for callers that drive it further.
	Sim *sfsim.Sim
	// Orgs are all the orgs, Sim first.
	Orgs []*sfsim.Sim
	// World owns the shared endpoints when Config.Orgs > 1 (nil otherwise).
	World *sfsim.World

	config  Config
	traffic *simTraffic
	runDir  string
	stopCM  func()
}

// Start starts the simulated org and CM, seeds the org and fills the
// banner; traffic starts with Generate.
func Start(c Config) (_ *Running, err error) {
	runDir, err := os.MkdirTemp("", "sfcdc-sim-")
	if err != nil {
		return nil, fmt.Errorf("create the simulator's folder: %w (set TMPDIR to a writable folder)", err)
	}
	r := &Running{config: c, runDir: runDir, traffic: newSimTraffic(c)}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	caFile := c.CAFile
	if caFile == "" && !c.Insecure {
		caFile = filepath.Join(runDir, "ca.pem")
	}
	pubSub := sfsim.PubSubConfig{Addr: c.PubSubAddr, Insecure: c.Insecure, CAFile: caFile, Keepalive: c.Keepalive}
	rest := sfsim.RESTConfig{Addr: c.RESTAddr, App: sfsim.ConnectedApp{CallbackURLs: c.CallbackURLs}}
	if c.orgCount() == 1 {
		r.Sim, err = sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: c.Seed}, PubSub: pubSub, REST: rest})
		if err != nil {
			return nil, err
		}
		r.Orgs = []*sfsim.Sim{r.Sim}
	} else {
		r.World, err = sfsim.StartWorld(sfsim.WorldConfig{
			Orgs:   c.orgCount(),
			Org:    func(i int) sfsim.Config { return sfsim.Config{Seed: c.orgSeed(i)} },
			PubSub: pubSub, REST: rest,
		})
		if errors.Is(err, sfsim.ErrInvalidConfig) {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if err != nil {
			return nil, err
		}
		r.Sim, r.Orgs = r.World.Orgs[0], r.World.Orgs
	}
	for _, s := range r.Orgs {
		s.Bus.SetMaxRetained(c.RetainEvents)
		s.Bus.SetCompressed(true) // four times the retained events in the same memory
		s.Faults.Set(c.StreamFaults)
		s.Tokens.SetLifetime(c.TokenTTL)
		s.Tokens.SetIdleTimeout(c.TokenIdleTimeout)
		s.REST.SetRotateRefreshTokens(c.RotateRefreshTokens)
		s.REST.SetRefreshDelay(c.RefreshDelay)
		s.REST.SetRefreshTokenPolicy(c.RefreshTokenPolicy)
		if c.DailyAPILimit > 0 {
			s.REST.SetDailyAPILimit(c.DailyAPILimit)
		}
		app := s.REST.App()
		r.Banner.Orgs = append(r.Banner.Orgs, OrgBanner{TenantID: s.Org.ID(), InstanceURL: s.InstanceURL, AccessToken: s.AccessToken,
			ClientID: app.ClientID, ClientSecret: app.ClientSecret, Username: app.Username})
		if err := seedRecords(s.Org, c.SeedObject, c.SeedRecords, s.Org.ID()); err != nil {
			return nil, err
		}
	}
	s := r.Sim
	app := s.REST.App()
	r.Banner.PubSubAddr, r.Banner.CAFile, r.Banner.Insecure = s.PubSub.Addr(), s.PubSub.CAFile(), c.Insecure
	r.Banner.AccessToken, r.Banner.InstanceURL, r.Banner.TenantID = s.AccessToken, s.InstanceURL, s.Org.ID()
	r.Banner.StateFile = filepath.Join(runDir, "state.db")
	r.Banner.Login = Login{LoginURL: s.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret}
	for _, ch := range s.Org.Channels() {
		r.Banner.Topics = append(r.Banner.Topics, ch.Topic)
	}
	r.Banner.CommsMining, r.stopCM, err = startCM(c, r.traffic, r.oauthCounts)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// oauthCounts is what every org's connected app's OAuth endpoints did.
func (r *Running) oauthCounts() sfsim.OAuthCounts {
	if r.World != nil {
		return r.World.OAuthCounts()
	}
	return r.Sim.REST.OAuthCounts()
}

// Close stops the CM simulator and the org and removes the run's folder.
// Generate's background generator stops with its context.
func (r *Running) Close() {
	if r.stopCM != nil {
		r.stopCM()
	}
	if r.World != nil {
		r.World.Close()
	} else if r.Sim != nil {
		r.Sim.Close()
	}
	_ = os.RemoveAll(r.runDir) // the CA and the daemon state belong to this org only
}
