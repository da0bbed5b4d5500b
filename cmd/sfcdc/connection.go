package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// fileConfig is the configuration file every command reads (the parts it
// needs). Unknown keys are an error, so a typo never goes unnoticed. The
// sections besides salesforce are described in config.go.
type fileConfig struct {
	Salesforce  salesforceSection      `yaml:"salesforce"`
	CommsMining uploader.Config        `yaml:"commsmining"`
	Store       replay.Config          `yaml:"store"`
	Backfill    backfill.Config        `yaml:"backfill"`
	Objects     []mapper.ObjectMapping `yaml:"objects"`
	Run         runSection             `yaml:"run"`
	Monitoring  monitoringSection      `yaml:"monitoring"`
}

// salesforceSection holds connection settings. A fixed access token suits
// the simulator; OAuth settings come with the auth commands.
type salesforceSection struct {
	PubSubEndpoint string `yaml:"pubsub_endpoint"`
	CAFile         string `yaml:"ca_file"`
	Insecure       bool   `yaml:"insecure"`
	// Watchdog resubscribes a stream that sent nothing, not even a
	// keepalive, for this long. Zero: 300s (Salesforce sends a keepalive
	// about every 270 s on a quiet topic).
	Watchdog    time.Duration `yaml:"watchdog"`
	AccessToken string        `yaml:"access_token"`
	InstanceURL string        `yaml:"instance_url"`
	TenantID    string        `yaml:"tenant_id"`
	// Auth, when its flow is set, obtains sessions over OAuth instead of
	// the fixed access_token / instance_url / tenant_id (see auth_config.go).
	Auth authSection `yaml:"auth"`
}

// loadConnection reads --config (when given), then lets the environment
// override each key, then validates.
func loadConnection(path string) (salesforceSection, error) {
	sf, err := readConnection(path)
	if err != nil {
		return salesforceSection{}, err
	}
	return sf, sf.validate()
}

// readConnection is loadConnection without the validation.
func readConnection(path string) (salesforceSection, error) {
	cfg, err := readConfigFile(path)
	if err != nil {
		return salesforceSection{}, err
	}
	sf := cfg.Salesforce
	if err := applyConnectionEnv(&sf); err != nil {
		return salesforceSection{}, err
	}
	return sf, nil
}

// applyConnectionEnv lets the environment override salesforce keys.
func applyConnectionEnv(sf *salesforceSection) error {
	for env, field := range map[string]*string{
		"SFCDC_PUBSUB_ADDR":  &sf.PubSubEndpoint,
		"SFCDC_ACCESS_TOKEN": &sf.AccessToken,
		"SFCDC_INSTANCE_URL": &sf.InstanceURL,
		"SFCDC_TENANT_ID":    &sf.TenantID,
		"SFCDC_CA_FILE":      &sf.CAFile,
	} {
		if v, ok := os.LookupEnv(env); ok {
			*field = v
		}
	}
	if v, ok := os.LookupEnv("SFCDC_INSECURE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return usageError{fmt.Errorf("SFCDC_INSECURE=%s: want true or false", quote.Value(v))}
		}
		sf.Insecure = b
	}
	return applyAuthEnv(&sf.Auth)
}

func (s salesforceSection) validate() error {
	problems := s.problems()
	if s.Insecure && s.PubSubEndpoint == "" {
		problems = append(problems, "salesforce.insecure is only allowed for a loopback pubsub_endpoint, and none is set: remove it to use TLS")
	}
	if s.Watchdog < 0 {
		problems = append(problems, watchdogProblem(s.Watchdog))
	}
	if len(problems) > 0 {
		return usageError{errors.New("invalid connection settings:\n  " + strings.Join(problems, "\n  "))}
	}
	return nil
}

// watchdogProblem is the message for a negative salesforce.watchdog.
func watchdogProblem(d time.Duration) string {
	return fmt.Sprintf("salesforce.watchdog: %s is negative; use 0 for the default (300s)", d)
}

// staticSessionProblems checks the fixed session used when salesforce.auth
// is not configured.
func (s salesforceSection) staticSessionProblems() []string {
	var problems []string
	if s.AccessToken == "" {
		problems = append(problems, "salesforce.access_token is empty: set it in the config file or SFCDC_ACCESS_TOKEN (or configure salesforce.auth and run `sfcdc auth login`)")
	}
	if s.InstanceURL == "" {
		problems = append(problems, "salesforce.instance_url is empty: set it (e.g. https://MyDomain.my.salesforce.com) or SFCDC_INSTANCE_URL")
	}
	if s.InstanceURL != "" {
		// The fixed access token goes to this URL: Salesforce, a host
		// trusted by name, or the simulator on loopback.
		if err := salesforce.CheckConfiguredURL("salesforce.instance_url", s.InstanceURL, s.Auth.TrustedHosts, s.Insecure); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if n := len(s.TenantID); n != 15 && n != 18 {
		problems = append(problems, "salesforce.tenant_id must be the 15- or 18-character org ID: set it or SFCDC_TENANT_ID")
	} else if err := replay.CheckOrgID(s.TenantID); err != nil {
		// The org ID keys everything in the store, which applies this rule.
		problems = append(problems, fmt.Sprintf("salesforce.tenant_id: %v; set the org ID as Setup > Company Information shows it, or SFCDC_TENANT_ID", err))
	}
	return problems
}

func isLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s salesforceSection) pubsubConfig() pubsub.Config {
	return pubsub.Config{Endpoint: s.PubSubEndpoint, CAFile: s.CAFile, Plaintext: s.Insecure, Watchdog: s.Watchdog}
}

func (s salesforceSection) credentials() pubsub.Credentials {
	if s.Auth.configured() {
		return &oauthCredentials{auth: s.Auth, caFile: s.CAFile, log: slog.Default()}
	}
	return pubsub.StaticCredentials{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.TenantID}
}
