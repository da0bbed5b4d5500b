package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/liblog"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/spf13/cobra"
)

func newValidateCommand() *cobra.Command {
	var configPath string
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate --config FILE [--offline]",
		Short: "Check the configuration file, then Salesforce, CM and the store it names",
		Long: "Checks the file as every command does (exit 2 when it is invalid). Then asks each service the\n" +
			"file names, reading only: Salesforce (a session is obtained; each configured object exists; each\n" +
			"mapped field, relationship paths such as Parent.CaseNumber included, exists and is readable by the\n" +
			"integration user; each object's change event topic exists), CM (the token is accepted; the project\n" +
			"and source exist) and the store (it answers and takes a write: a probe key written and deleted, or\n" +
			"a file created and removed beside the store file; Redis's persistence setting is reported). Every\n" +
			"problem is one line with its cause and fix, all in one run; any problem, a refusal or a service\n" +
			"that cannot be reached, exits 1. Objects without a change event are reported as polled.\n" +
			"--offline checks only the file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runValidate(cmd, configPath, offline) },
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&offline, "offline", false, "check only the file; ask neither Salesforce, CM nor the store")
	return cmd
}

// checkFileOffline is everything validate checks without Salesforce: the
// file as every command loads it (the run and monitoring sections, which
// `sfcdc run` would otherwise refuse only at start, included) and the mapping.
func checkFileOffline(ctx context.Context, path string) (fileConfig, *mapper.Mapper, error) {
	conf, err := loadConfig(ctx, path)
	if err != nil {
		return conf, nil, err
	}
	m, err := mapper.New(mapper.Config{Objects: conf.Objects})
	if err != nil {
		return conf, nil, usageError{err}
	}
	return conf, m, nil
}

func runValidate(cmd *cobra.Command, path string, offline bool) error {
	conf, _, err := checkFileOffline(cmd.Context(), path)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "file %s: valid (%d objects)\n", path, len(conf.Objects))
	if offline {
		fmt.Fprintln(w, "OK: the file (--offline: Salesforce, CM and the store were not asked)")
		return nil
	}
	// Every failure is reported below, cause included: the libraries'
	// own log lines (go-redis's dial failures) would only repeat them.
	liblog.RouteGRPC(slog.New(slog.DiscardHandler))
	liblog.SilenceRedis()
	report, err := engine.Preflight(cmd.Context(), conf.Spec, conf.Store)
	if err != nil {
		return asUsage(err)
	}
	report.Write(w, conf.Spec)
	if len(report.Problems) > 0 {
		return exitCodeError{err: fmt.Errorf("%d problem(s); fix each line above and run validate again", len(report.Problems)), code: exitFailure}
	}
	return nil
}
