package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
)

// simFlags are the knobs of `sfcdc sim`.
type simFlags struct {
	pubsubAddr string
	restAddr   string
	caFile     string
	insecure   bool
	seed       uint64
	rate       float64
	events     int
	keepalive  time.Duration
	// retainEvents bounds the bus (and, through the generator's working
	// set, the records): 0 keeps everything for 72 hours.
	retainEvents int

	endStreamAfter int
	resetAfter     int
	stallAfter     int
	latency        time.Duration
	tokenTTL       time.Duration
	faultOnce      bool
}

// simBanner is the first line of standard output: everything a client needs.
type simBanner struct {
	PubSubAddr  string   `json:"pubsub_addr"`
	CAFile      string   `json:"ca_file"`
	Insecure    bool     `json:"insecure"`
	AccessToken string   `json:"access_token"`
	InstanceURL string   `json:"instance_url"`
	TenantID    string   `json:"tenant_id"`
	Topics      []string `json:"topics"`
	// StateFile is a path in this run's folder for the daemon's file
	// store (examples/sim.yaml uses it): a new simulated org starts with
	// new state, and the file goes when the simulator exits.
	StateFile string `json:"state_file"`
	simLogin
	simCommsMining
}

func newSimCommand() *cobra.Command {
	var f simFlags
	var extras *simExtras
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a simulated Salesforce org (Pub/Sub API with change events) on loopback",
		Long: "Starts a simulated Salesforce org and a simulated Communications Mining (CM) API on loopback and\n" +
			"prints one JSON line with their endpoints and demo credentials, then generates support traffic\n" +
			"until interrupted. The credentials are for this throwaway org only. The line's fields:\n" +
			bannerFieldList() + "\n\n" +
			"The org's REST API reads (query, sObject retrieve, sObject Collections) and writes records:\n" +
			"POST .../sobjects/<Object>/ creates, PATCH .../sobjects/<Object>/<Id> updates, DELETE deletes,\n" +
			"each sending its change event like the generated traffic.\n\n" +
			"Admin endpoints on commsmining_url (no token needed):\n" +
			"  GET  /_sim/stats            what CM received: requests, comments new/updated/unchanged, billable units\n" +
			"  GET  /_sim/traffic          the generated traffic: state (running, paused, done, off) and generated_events\n" +
			"  POST /_sim/traffic/pause    stop generating; answers once the generator is idle (the org keeps serving)\n" +
			"  POST /_sim/traffic/resume   generate again at --rate\n\n" +
			"The run's folder (the CA file unless --ca-file, and state_file) is removed when the simulator exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSim(cmd, f, extras) },
	}
	extras = addSimExtras(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.pubsubAddr, "pubsub-addr", "127.0.0.1:7443", "address of the Pub/Sub API endpoint")
	fl.StringVar(&f.restAddr, "rest-addr", "127.0.0.1:0", "address of the REST and OAuth endpoint (the instance and login URL)")
	fl.StringVar(&f.caFile, "ca-file", "", "where to write the generated CA certificate (default: a temporary file)")
	fl.BoolVar(&f.insecure, "insecure", false, "serve plaintext instead of TLS; --pubsub-addr and --rest-addr must then be loopback addresses")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the org's IDs and of the generated traffic")
	fl.Float64Var(&f.rate, "rate", 10, "generated events per second until interrupted; 0 turns the generator off unless --events is set")
	fl.IntVar(&f.events, "events", 0, "generate exactly this many events as fast as possible, then stop generating; overrides --rate (--rate 0 --events N still generates N)")
	fl.DurationVar(&f.keepalive, "keepalive", sfsim.DefaultKeepalive, "longest silence on an idle stream before a keepalive")
	fl.IntVar(&f.retainEvents, "retain-events", defaultSimRetainEvents, "keep the newest N change events (older ones expire as after Salesforce's 72 hours, and the generator's cold records leave the org with them), so memory stays flat; 0 keeps everything for 72 hours")
	fl.IntVar(&f.endStreamAfter, "fault-end-stream-after", 0, "end each stream with UNAVAILABLE after N events")
	fl.IntVar(&f.resetAfter, "fault-reset-after", 0, "reset the TCP connection after N events of a stream")
	fl.IntVar(&f.stallAfter, "fault-stall-after", 0, "stall each stream (no events, no keepalives) after N events")
	fl.DurationVar(&f.latency, "fault-latency", 0, "delay added to each response")
	fl.DurationVar(&f.tokenTTL, "fault-token-ttl", 0, "expire access tokens this long after they are issued")
	fl.BoolVar(&f.faultOnce, "fault-once", false, "fire each stream fault once, then run clean")
	return cmd
}

// defaultSimRetainEvents is --retain-events: about 17 minutes of the
// default --rate, some 13 MB of compressed change events.
const defaultSimRetainEvents = 10000

// simGCPercent is the garbage collector's target of `sfcdc sim` (GOGC).
const simGCPercent = 50

func runSim(cmd *cobra.Command, f simFlags, extras *simExtras) error {
	if f.rate < 0 || f.events < 0 || f.retainEvents < 0 {
		return usageError{fmt.Errorf("--rate, --events and --retain-events must not be negative")}
	}
	if f.insecure {
		if err := checkPlaintextFlags(f); err != nil {
			return err
		}
	}
	if err := extras.check(); err != nil {
		return err
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// A heap half again its live size instead of twice: the simulator
		// allocates little per second once seeded, so collecting more
		// often costs nothing noticeable and keeps its RSS near what it
		// holds (see --retain-events).
		debug.SetGCPercent(simGCPercent)
	}
	runDir, err := os.MkdirTemp("", "sfcdc-sim-")
	if err != nil {
		return fmt.Errorf("create the simulator's folder: %w (set TMPDIR to a writable folder)", err)
	}
	defer os.RemoveAll(runDir) // the CA and the daemon state belong to this org only
	caFile := f.caFile
	if caFile == "" && !f.insecure {
		caFile = filepath.Join(runDir, "ca.pem")
	}
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: f.seed},
		PubSub: sfsim.PubSubConfig{Addr: f.pubsubAddr, Insecure: f.insecure, CAFile: caFile, Keepalive: f.keepalive},
		REST:   sfsim.RESTConfig{Addr: f.restAddr},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	s.Bus.SetMaxRetained(f.retainEvents)
	s.Bus.SetCompressed(true) // four times the retained events in the same memory
	s.Faults.Set(sfsim.FaultSettings{
		EndStreamAfterEvents: f.endStreamAfter, ResetAfterEvents: f.resetAfter, StallAfterEvents: f.stallAfter,
		Latency: f.latency, Once: f.faultOnce,
	})
	s.Tokens.SetLifetime(f.tokenTTL)
	banner := simBanner{
		PubSubAddr: s.PubSub.Addr(), CAFile: s.PubSub.CAFile(), Insecure: f.insecure,
		AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID(),
		StateFile: filepath.Join(runDir, "state.db"),
		simLogin:  simLoginBanner(s),
	}
	for _, ch := range s.Org.Channels() {
		banner.Topics = append(banner.Topics, ch.Topic)
	}
	traffic := newSimTraffic(f)
	stopExtras, err := extras.start(s, &banner, traffic)
	if err != nil {
		return err
	}
	defer stopExtras()
	line, err := json.Marshal(banner)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(line))
	if err := traffic.generate(cmd, s, f); err != nil {
		return err
	}
	<-cmd.Context().Done()
	return nil
}

// simLogin is what `sfcdc auth login` needs from the simulator: its login
// URL and the demo connected app (any http://localhost:<port>/oauth2/callback
// is accepted, PKCE optional). Separate from runSim so the lead can wire
// it: embed simLogin in simBanner and set it from simLoginBanner(s).
type simLogin struct {
	LoginURL     string `json:"login_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// simLoginBanner reads the demo connected app of a running simulator.
func simLoginBanner(s *sfsim.Sim) simLogin {
	app := s.REST.App()
	return simLogin{LoginURL: s.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret}
}

// checkPlaintextFlags refuses --insecure on an address other machines could
// reach: the demo credentials and every event would cross the network in
// the clear. (The simulator refuses it too; this names the flags to fix.)
func checkPlaintextFlags(f simFlags) error {
	for _, a := range []struct{ flag, addr string }{{"--pubsub-addr", f.pubsubAddr}, {"--rest-addr", f.restAddr}} {
		if sfsim.CheckPlaintextAddr(a.addr) != nil {
			return usageError{fmt.Errorf("--insecure serves plaintext, so it is allowed on loopback addresses only, and %s %q is not one: "+
				"use %s 127.0.0.1:<port> (or [::1]:<port>, localhost:<port>), or drop --insecure to serve TLS", a.flag, a.addr, a.flag)}
		}
	}
	return nil
}

// bannerFieldList is the banner's JSON field names, wrapped for --help:
// read from simBanner itself, so the help never misses a field.
func bannerFieldList() string {
	var names []string
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous {
				collect(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names = append(names, name)
			}
		}
	}
	collect(reflect.TypeFor[simBanner]())
	var out, line strings.Builder
	for i, name := range names {
		word := name
		if i < len(names)-1 {
			word += ","
		}
		if line.Len() > 0 && line.Len()+1+len(word) > 96 {
			out.WriteString("  " + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	out.WriteString("  " + line.String())
	return out.String()
}
