package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/spf13/cobra"
)

// serveFlags are the knobs of `sfcdc serve` and `sfcdc integrations`.
type serveFlags struct {
	configPath string
	verbose    bool
	logFormat  string
	publicURL  string
	listen     string
}

func newServeCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --config serve.yaml",
		Short: "Run this instance's share of the registry's integrations until SIGINT/SIGTERM",
		Long: "Joins the deployment on the configured store (a heartbeat every lease_ttl/3) and runs the units\n" +
			"(each integration's topics and its polling part) that rendezvous hashing gives this instance among\n" +
			"the enabled integrations of the registry (`sfcdc integrations apply`); a change of the registry or\n" +
			"of the live instances is acted on within poll_interval. An integration failing for longer than\n" +
			"disable_after is disabled with its reason. The secrets in the registry open with the keyring of\n" +
			"SFCDC_SECRET_KEY or secret_key_file (the same on every instance). On SIGINT/SIGTERM every\n" +
			"integration drains and releases its leases, then the instance leaves; exit 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "serve configuration file (YAML), required")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "log at debug level (never secrets)")
	cmd.Flags().StringVar(&f.logFormat, "log-format", logFormatText, "log format on stderr: text or json (one JSON object per line)")
	cmd.Flags().StringVar(&f.publicURL, "public-url", "", "the deployment's address as browsers reach it; serves the onboarding pages (overrides public_url)")
	cmd.Flags().StringVar(&f.listen, "listen", "", "host:port of /metrics, /healthz, /readyz and the pages, or off (overrides listen)")
	return cmd
}

// openServe reads the serve configuration and the keyring, then opens
// the store.
func openServe(cmd *cobra.Command, path string) (serve.File, *serve.Admin, error) {
	ctx := cmd.Context()
	env := commandEnv(ctx)
	file, err := serve.LoadFile(path, env)
	if err != nil {
		return file, nil, asUsage(err)
	}
	envKey, _ := env(sealed.EnvKeys)
	keys, err := file.Keys(envKey)
	if err != nil {
		return file, nil, asUsage(err)
	}
	store, err := openStore(ctx, file.Store)
	if err != nil {
		return file, nil, err
	}
	return file, serve.NewAdmin(store, keys), nil
}

func runServe(cmd *cobra.Command, f serveFlags) (err error) {
	log, err := runLogger(cmd.ErrOrStderr(), f.verbose, f.logFormat)
	if err != nil {
		return err
	}
	if f.logFormat == logFormatJSON {
		defer func() { // the last line (the error it stops with) is JSON too
			if err != nil {
				err = loggedFailure{err: err, log: log}
			}
		}()
	}
	file, admin, err := openServe(cmd, f.configPath)
	if err != nil {
		return err
	}
	defer admin.Close()
	slog.SetDefault(log) // go-redis and the log package write through it
	useLibraryLog(log)
	if f.publicURL != "" {
		file.Settings.PublicURL = f.publicURL
		if problems := file.Settings.Problems(); len(problems) > 0 {
			return usageError{fmt.Errorf("--public-url: %s", strings.Join(problems, "; "))}
		}
	}
	if f.listen != "" {
		file.Settings.Listen = f.listen
		if problems := file.Settings.Problems(); len(problems) > 0 {
			return usageError{fmt.Errorf("--listen: %s", strings.Join(problems, "; "))}
		}
	}
	if limit := serve.MemoryLimit(file.Settings, commandEnv(cmd.Context())); limit > 0 {
		defer memoryLimit.hold(limit)()
	}
	return serve.Serve(cmd.Context(), file.Settings, serve.Deps{Store: admin.Store, Keys: admin.Keys, Logger: log})
}
