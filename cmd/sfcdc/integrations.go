package main

import (
	"context"
	"errors"
	"io"

	"github.com/sfcdc/sfcdc/serve"
	"github.com/spf13/cobra"
)

// integrationsFlags are the knobs of `sfcdc integrations …`.
type integrationsFlags struct {
	configPath, file, reason     string
	json, dryRun, purge, offline bool
}

func newIntegrationsCommand() *cobra.Command {
	var f integrationsFlags
	cmd := &cobra.Command{
		Use:   "integrations apply|list|show|disable|enable|delete|rotate-key|generate-key --config serve.yaml",
		Short: "Manage the registry of integrations that `sfcdc serve` instances run",
		Long: "Reads the serve configuration (--config: its store and secret key) to reach the registry. An\n" +
			"integration file is `sfcdc run`'s file without store: and monitoring:, plus name: <project>/<name>;\n" +
			"one integration per file, a YAML list of them, or a folder of such files. Secrets (client secret, CM\n" +
			"token, access token) may be written ${VAR}: they are expanded here and stored sealed with the key of\n" +
			"SFCDC_SECRET_KEY or secret_key_file. Every instance sees a change within its poll interval.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageError{errors.New("integrations needs a subcommand: apply, list, show, disable, enable, delete, rotate-key or generate-key")}
		},
	}
	cmd.PersistentFlags().StringVar(&f.configPath, "config", "", "serve configuration file (YAML), required")
	// admin runs do on the deployment of --config.
	admin := func(do func(ctx context.Context, a *serve.Admin, args []string, w io.Writer) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			_, a, err := openServe(cmd, f.configPath)
			if err != nil {
				return err
			}
			defer a.Close()
			return do(cmd.Context(), a, args, cmd.OutOrStdout())
		}
	}
	sub := func(use, short string, args cobra.PositionalArgs, run func(*cobra.Command, []string) error) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: args, RunE: run}
		cmd.AddCommand(c)
		return c
	}
	apply := sub("apply -f FILE|DIR [--dry-run]", "Create or update integrations from YAML; prints what changed", cobra.NoArgs,
		admin(func(ctx context.Context, a *serve.Admin, _ []string, w io.Writer) error {
			if !f.offline {
				a.Check = serve.CheckServices
			}
			return a.Apply(ctx, f.file, commandEnv(ctx), f.dryRun, w)
		}))
	apply.Flags().StringVarP(&f.file, "file", "f", "", "integration file, list or folder")
	apply.Flags().BoolVar(&f.dryRun, "dry-run", false, "say what would change; write nothing")
	apply.Flags().BoolVar(&f.offline, "offline", false, "check only the files; ask neither Salesforce nor CM (objects, fields, topics, source)")
	list := sub("list [--json]", "Each integration's state and reason, and each unit's state and instance", cobra.NoArgs,
		admin(func(ctx context.Context, a *serve.Admin, _ []string, w io.Writer) error {
			return a.List(ctx, w, f.json)
		}))
	list.Flags().BoolVar(&f.json, "json", false, "print a JSON array")
	show := sub("show NAME [--json]", "One integration: its state and its spec, secrets masked", cobra.ExactArgs(1),
		admin(func(ctx context.Context, a *serve.Admin, args []string, w io.Writer) error {
			return a.Show(ctx, args[0], w, f.json)
		}))
	show.Flags().BoolVar(&f.json, "json", false, "print a JSON object")
	disable := sub("disable NAME --reason TEXT", "Stop an integration on every instance until enabled", cobra.ExactArgs(1),
		admin(func(ctx context.Context, a *serve.Admin, args []string, w io.Writer) error {
			return a.Disable(ctx, args[0], f.reason, w)
		}))
	disable.Flags().StringVar(&f.reason, "reason", "", "why (list shows it), required")
	sub("enable NAME", "Run a disabled integration again", cobra.ExactArgs(1),
		admin(func(ctx context.Context, a *serve.Admin, args []string, w io.Writer) error {
			return a.Enable(ctx, args[0], w)
		}))
	del := sub("delete NAME [--purge]", "Remove an integration (it stops everywhere); --purge removes its stored state too", cobra.ExactArgs(1),
		admin(func(ctx context.Context, a *serve.Admin, args []string, w io.Writer) error {
			return a.Delete(ctx, args[0], f.purge, w)
		}))
	del.Flags().BoolVar(&f.purge, "purge", false, "once it stopped, remove its checkpoints, hashes, dead letters and status")
	sub("rotate-key", "Reseal every integration's secrets with the first key of the keyring", cobra.NoArgs,
		admin(func(ctx context.Context, a *serve.Admin, _ []string, w io.Writer) error { return a.RotateKey(ctx, w) }))
	sub("generate-key", "Print a new key (ID:KEY) for SFCDC_SECRET_KEY or secret_key_file", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error { return serve.GenerateKey(cmd.OutOrStdout()) })
	return cmd
}
