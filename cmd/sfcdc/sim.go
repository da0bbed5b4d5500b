package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simrun"
)

// simFlags are the knobs of `sfcdc sim`: the world to start, and the
// fault flags checked before it starts.
type simFlags struct {
	simrun.Config
	faults sfsim.FaultSettings
}

func newSimCommand() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a simulated Salesforce org (Pub/Sub API with change events) on loopback",
		Long: "Starts a simulated Salesforce org (or --orgs of them) and a simulated Communications Mining (CM) API\n" +
			"on loopback and prints one JSON line with their endpoints and demo credentials, then generates\n" +
			"support traffic until interrupted. The credentials are for these throwaway orgs only. The line's\n" +
			"top-level keys describe the first org; orgs lists every org's tenant_id, instance_url, access_token,\n" +
			"client_id, client_secret and username. The line's fields:\n" +
			bannerFieldList() + "\n\n" +
			"The org's REST API reads (query, sObject retrieve, sObject Collections) and writes records:\n" +
			"POST .../sobjects/<Object>/ creates, PATCH .../sobjects/<Object>/<Id> updates, DELETE deletes,\n" +
			"each sending its change event like the generated traffic.\n\n" +
			"Admin endpoints on commsmining_url (no token needed):\n" +
			"  GET  /_sim/stats            what CM received: requests, comments new/updated/unchanged, billable units\n" +
			"  GET  /_sim/oauth            what the orgs' connected apps did: refreshes, rotations, grants revoked (JSON)\n" +
			"  GET  /_sim/traffic          the generated traffic: state (running, paused, done, off) and generated_events\n" +
			"  POST /_sim/traffic/pause    stop generating; answers once the generator is idle (the org keeps serving)\n" +
			"  POST /_sim/traffic/resume   generate again at --rate\n\n" +
			"The run's folder (the CA file unless --ca-file, and state_file) is removed when the simulator exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSim(cmd, f) },
	}
	bindSimFlags(cmd.Flags(), &f)
	return cmd
}

// bindSimFlags declares the flags of `sfcdc sim` on fl, parsed into f.
func bindSimFlags(fl *pflag.FlagSet, f *simFlags) {
	fl.StringVar(&f.PubSubAddr, "pubsub-addr", "127.0.0.1:7443", "address of the Pub/Sub API endpoint")
	fl.StringVar(&f.RESTAddr, "rest-addr", "127.0.0.1:0", "address of the REST and OAuth endpoint (the instance and login URL)")
	fl.StringVar(&f.CAFile, "ca-file", "", "where to write the generated CA certificate (default: a temporary file)")
	fl.BoolVar(&f.Insecure, "insecure", false, "serve plaintext instead of TLS; --pubsub-addr and --rest-addr must then be loopback addresses")
	fl.Uint64Var(&f.Seed, "seed", 1, "seed of the org's IDs and of the generated traffic")
	fl.IntVar(&f.Orgs, "orgs", 1, fmt.Sprintf("simulated orgs (1 to %d), each with its own tenant, instance URL, session, connected app and user, all behind the one Pub/Sub endpoint and login host; the banner's orgs lists them", simrun.MaxOrgs))
	fl.Float64Var(&f.Rate, "rate", 10, "generated events per second in each org until interrupted; 0 turns the generator off unless --events is set")
	fl.IntVar(&f.Events, "events", 0, "generate exactly this many events in each org as fast as possible, then stop generating; overrides --rate (--rate 0 --events N still generates N)")
	fl.DurationVar(&f.Keepalive, "keepalive", sfsim.DefaultKeepalive, "longest silence on an idle stream before a keepalive")
	fl.IntVar(&f.RetainEvents, "retain-events", defaultSimRetainEvents, "keep the newest N change events (older ones expire as after Salesforce's 72 hours, and the generator's cold records leave the org with them), so memory stays flat; 0 keeps everything for 72 hours")
	fl.IntVar(&f.faults.EndStreamAfterEvents, "fault-end-stream-after", 0, "end each stream with UNAVAILABLE after N events")
	fl.IntVar(&f.faults.ResetAfterEvents, "fault-reset-after", 0, "reset the TCP connection after N events of a stream")
	fl.IntVar(&f.faults.StallAfterEvents, "fault-stall-after", 0, "stall each stream (no events, no keepalives) after N events")
	fl.DurationVar(&f.faults.Latency, "fault-latency", 0, "delay added to each response")
	fl.DurationVar(&f.TokenTTL, "fault-token-ttl", 0, "expire access tokens this long after they are issued")
	fl.BoolVar(&f.faults.Once, "fault-once", false, "fire each stream fault once, then run clean")
	fl.DurationVar(&f.TokenIdleTimeout, "token-idle-timeout", 0, "end an access token no call used for this long (Salesforce's session timeout); 0: off")
	fl.BoolVar(&f.RotateRefreshTokens, "rotate-refresh-tokens", false, "refresh token rotation in every org's connected app: each refresh answers a new refresh token, the old one dies")
	fl.DurationVar(&f.RefreshDelay, "refresh-delay", 0, "each refresh takes this long to process; a second refresh with the same token meanwhile gets \"token request is already being processed\"")
	fl.DurationVar(&f.RefreshTokenPolicy.ExpireAfter, "refresh-token-expire-after", 0, "the connected app's \"Expire refresh token after\": a grant ends this long after its approval; 0: never")
	fl.DurationVar(&f.RefreshTokenPolicy.ExpireIfNotUsedFor, "refresh-token-expire-if-unused", 0, "the connected app's \"Expire refresh token if not used for\": a grant no refresh used for this long ends; 0: never")
	fl.StringSliceVar(&f.CallbackURLs, "callback-url", nil, "a redirect URI every org's connected app registers, matched exactly (repeatable; e.g. a hosted deployment's public_url + /external/salesforce/oauth2/callback); default: any loopback http://…/oauth2/callback")
	fl.StringVar(&f.CMAddr, "commsmining-addr", "127.0.0.1:0", "address of the simulated Communications Mining API")
	fl.StringVar(&f.CMSource, "commsmining-source", "sfcdc/salesforce", "project/source created in the simulated CM")
	fl.IntVar(&f.SeedRecords, "seed-records", 0, "create this many records before printing the banner (for backfills)")
	fl.StringVar(&f.SeedObject, "seed-object", "EmailMessage", "object of --seed-records: "+strings.Join(simrun.SeedObjects, ", "))
	fl.IntVar(&f.DailyAPILimit, "daily-api-limit", sfsim.DefaultDailyAPILimit, "the org's daily REST API allocation (Sforce-Limit-Info)")
	fl.IntVar(&f.CMFault.Status, "cm-fault-status", 0, "answer CM requests with this HTTP status and CM's error body instead of handling them (429: rate limited; 500, 502, 503: an outage)")
	fl.StringVar(&f.CMFault.RetryAfter, "cm-fault-retry-after", "", "send this Retry-After (seconds or an HTTP date) with --cm-fault-status; without it a 429 carries none")
	fl.DurationVar(&f.CMFault.Latency, "cm-fault-latency", 0, "hold each CM answer back this long (a slow CM)")
	fl.BoolVar(&f.CMFault.AcceptThenTimeout, "cm-fault-accept-then-timeout", false, "store and bill each request's comments, then never answer: the client times out and retries")
	fl.IntVar(&f.CMFault.Times, "cm-fault-times", 0, "apply the CM fault to the first N requests only, then answer normally (0: every request)")
	fl.StringVar(&f.CMFault.Endpoint, "cm-fault-endpoint", string(commsmining.EndpointSync), "which CM requests the fault hits: "+strings.Join(simrun.CMFaultEndpoints, ", "))
}

// defaultSimRetainEvents is --retain-events: about 17 minutes of the
// default --rate, some 13 MB of compressed change events.
const defaultSimRetainEvents = 10000

// simGCPercent is the garbage collector's target of `sfcdc sim` (GOGC).
const simGCPercent = 50

func runSim(cmd *cobra.Command, f simFlags) error {
	c := f.Config
	c.StreamFaults = f.faults
	if err := c.Check(); err != nil {
		return usageError{err}
	}
	if _, set := commandEnv(cmd.Context())("GOGC"); !set {
		// A heap half again its live size instead of twice: the simulator
		// allocates little per second once seeded, so collecting more
		// often costs nothing noticeable and keeps its RSS near what it
		// holds (see --retain-events).
		defer gcPercent.hold(simGCPercent)()
	}
	stderr := cmd.ErrOrStderr()
	c.OnGeneratorStopped = func(err error) { fmt.Fprintln(stderr, "sfcdc sim: generator stopped:", err) }
	world, err := simrun.Start(c)
	if err != nil {
		if errors.Is(err, simrun.ErrConfig) {
			return usageError{err}
		}
		return err
	}
	defer world.Close()
	line, err := json.Marshal(world.Banner)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(line))
	n, err := world.Generate(cmd.Context())
	if err != nil {
		return err
	}
	if f.Events > 0 {
		fmt.Fprintf(stderr, "generated %d events; serving until interrupted\n", n)
	}
	<-cmd.Context().Done()
	return nil
}

// bannerFieldList is the banner's JSON field names (simrun.BannerFields),
// wrapped for --help.
func bannerFieldList() string {
	names := simrun.BannerFields()
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
