package main

import (
	"encoding/json"
	"time"

	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/status"
	"github.com/spf13/cobra"
)

// statusFlags are the knobs of `sfcdc status`.
type statusFlags struct {
	configPath  string
	json        bool
	integration string
}

func newStatusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status --config FILE [--json] [--integration NAME]",
		Short: "Show what every topic's worker is doing, from the status the workers keep in the store",
		Long: "Reads the status document each topic's worker writes to the configured store, with the topic's\n" +
			"checkpoint, and prints one row per topic: state, lease holder, last event, last checkpoint, replay\n" +
			"age against the 72 h retention (warned from 48 h), lag, counters and the last error. A status not\n" +
			"rewritten for 2 minutes while its topic should be running is flagged stale. The org's dead-letter\n" +
			"count follows, with how many are parked (see `sfcdc deadletters`). Exit code 0 whatever the topics' states.\n" +
			"It needs no Salesforce: the org is salesforce.tenant_id when set, else the org ID that\n" +
			"`sfcdc run` and `sfcdc backfill` stored in the store when they connected. With --integration, one\n" +
			"integration of an `sfcdc serve` deployment, --config being the serve configuration.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON array, one object per topic")
	cmd.Flags().StringVar(&f.integration, "integration", "", "one integration of a deployment (project/name); --config is then the serve configuration")
	return cmd
}

func runStatus(cmd *cobra.Command, f statusFlags) error {
	ctx := cmd.Context()
	var rep status.Report
	if f.integration != "" {
		_, admin, err := openServe(cmd, f.configPath)
		if err != nil {
			return err
		}
		defer admin.Close()
		if rep, err = serve.ReadStatus(ctx, admin.Registry, admin.Store, f.integration, health.Policy{}, time.Now()); err != nil {
			return err
		}
	} else {
		t, err := openReplayTarget(ctx, f.configPath)
		if err != nil {
			return err
		}
		defer t.store.Close()
		if rep, err = status.Read(ctx, t.store, t.org, t.topics, t.health, time.Now()); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.Topics)
	}
	status.WriteTable(w, rep, time.Now())
	return nil
}
