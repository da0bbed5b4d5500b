package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/spf13/cobra"
)

// newAuthCommand groups the Salesforce login commands.
func newAuthCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Log in to Salesforce and show the connection",
		Long: "OAuth settings live under salesforce.auth in --config (flow, login_url, client_id, callback_port,\n" +
			"token_store…) or in SFCDC_AUTH_FLOW, SFCDC_LOGIN_URL, SFCDC_CLIENT_ID, SFCDC_CLIENT_SECRET,\n" +
			"SFCDC_CALLBACK_PORT, SFCDC_TOKEN_FILE, SFCDC_PRIVATE_KEY_FILE, SFCDC_USERNAME. Secrets come from\n" +
			"the environment or the config file, never from flags.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAuthLoginCommand(), newAuthStatusCommand())
	return cmd
}

func newAuthLoginCommand() *cobra.Command {
	var configPath string
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Approve sfcdc in a browser and store the refresh token (web_server flow)",
		Long: "Prints the Salesforce authorize URL (and opens it when a browser is available), waits for\n" +
			"Salesforce to send the browser back to http://localhost:<callback_port>/oauth2/callback, exchanges\n" +
			"the code (with PKCE unless salesforce.auth.pkce is false) and stores the refresh token in the\n" +
			"configured token store. For jwt_bearer and client_credentials it checks the credentials instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuthLogin(cmd, configPath, noBrowser, timeout)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "only print the authorize URL; do not try to open a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the browser to come back")
	return cmd
}

func newAuthStatusCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the org, user, instance and flow sfcdc connects with (never a token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuthStatus(cmd, configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML)")
	return cmd
}

// authContext is what both commands need: the validated section and a
// logger on the command's standard error.
type authContext struct {
	conn integration.Salesforce
	cfg  salesforce.Config
	log  *slog.Logger
}

func loadAuth(cmd *cobra.Command, configPath string) (authContext, error) {
	conn, err := readConnection(cmd.Context(), configPath)
	if err != nil {
		return authContext{}, err
	}
	if !conn.Auth.Configured() {
		return authContext{}, usageError{errors.New("salesforce.auth.flow is not set: set it to web_server, jwt_bearer or client_credentials in --config or SFCDC_AUTH_FLOW")}
	}
	if err := asUsage(conn.Validate()); err != nil {
		return authContext{}, err
	}
	log := redact.TextLogger(cmd.ErrOrStderr(), slog.LevelWarn)
	return authContext{conn: conn, cfg: conn.Auth.SalesforceConfig(conn.CAFile, log), log: log}, nil
}

func runAuthLogin(cmd *cobra.Command, configPath string, noBrowser bool, timeout time.Duration) error {
	ac, err := loadAuth(cmd, configPath)
	if err != nil {
		return err
	}
	store, closeStore, err := ac.conn.Auth.OpenTokenStore()
	if err != nil {
		return err
	}
	defer closeStore()
	if ac.cfg.Flow != salesforce.FlowWebServer {
		return checkServerCredentials(cmd, ac, store)
	}
	login, err := salesforce.NewLogin(ac.cfg, store)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	var opener sync.WaitGroup
	defer opener.Wait()
	out := cmd.OutOrStdout()
	id, err := login.Run(ctx, func(authorizeURL string) {
		fmt.Fprintf(out, "Open this URL in a browser and allow access for sfcdc:\n\n  %s\n\n", authorizeURL)
		if !noBrowser && salesforce.OpenBrowser(authorizeURL, salesforce.HasDisplay(commandEnv(cmd.Context())), &opener) {
			fmt.Fprintln(out, "(A browser window was opened.)")
		}
		fmt.Fprintf(out, "Waiting for Salesforce to return to %s …\n", login.RedirectURL())
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Logged in to org %s as %s (instance %s).\nRefresh token stored in %s.\nNext: sfcdc auth status\n",
		id.OrgID, id.Username, id.InstanceURL, store)
	return nil
}

// checkServerCredentials is `auth login` for the flows that need no
// person: it obtains a session to prove the settings work.
func checkServerCredentials(cmd *cobra.Command, ac authContext, store salesforce.TokenStore) error {
	creds, err := salesforce.NewCredentials(ac.cfg, store)
	if err != nil {
		return usageError{err}
	}
	defer creds.Close()
	id, err := creds.Identity(cmd.Context())
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "The %s flow needs no login and stores nothing; its credentials work:\norg %s, user %s, instance %s.\n",
		ac.cfg.Flow, id.OrgID, id.Username, id.InstanceURL)
	return nil
}

func runAuthStatus(cmd *cobra.Command, configPath string) error {
	ac, err := loadAuth(cmd, configPath)
	if err != nil {
		return err
	}
	store, closeStore, err := ac.conn.Auth.OpenTokenStore()
	if err != nil {
		return err
	}
	defer closeStore()
	creds, err := salesforce.NewCredentials(ac.cfg, store)
	if err != nil {
		return usageError{err}
	}
	defer creds.Close()
	id, err := creds.Identity(cmd.Context())
	if err != nil {
		return fmt.Errorf("check the Salesforce connection: %w", err)
	}
	return salesforce.WriteConnection(cmd.Context(), cmd.OutOrStdout(), ac.cfg.Flow, id, store)
}
