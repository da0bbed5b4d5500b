package integration

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Salesforce is the salesforce section: how the integration reaches its
// org. A fixed access token suits the simulator; OAuth settings (auth)
// obtain sessions in deployments.
type Salesforce struct {
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
	// the fixed access_token / instance_url / tenant_id (see auth.go).
	Auth Auth `yaml:"auth"`
}

// Validate checks the connection settings alone (for the commands that
// only connect); every problem one line naming its salesforce.<key>.
func (s Salesforce) Validate() error {
	problems := s.problems()
	if s.Insecure && s.PubSubEndpoint == "" {
		problems = append(problems, "salesforce.insecure is only allowed for a loopback pubsub_endpoint, and none is set: remove it to use TLS")
	}
	if s.Watchdog < 0 {
		problems = append(problems, watchdogProblem(s.Watchdog))
	}
	if len(problems) > 0 {
		return Invalid(errors.New("invalid connection settings:\n  " + strings.Join(problems, "\n  ")))
	}
	return nil
}

// watchdogProblem is the message for a negative salesforce.watchdog.
func watchdogProblem(d time.Duration) string {
	return fmt.Sprintf("salesforce.watchdog: %s is negative; use 0 for the default (300s)", d)
}

// staticSessionProblems checks the fixed session used when salesforce.auth
// is not configured.
func (s Salesforce) staticSessionProblems() []string {
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

// isLoopback reports whether endpoint (host:port) is on this host.
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

// RESTConfig is the REST client's configuration for this section.
func (s Salesforce) RESTConfig(log *slog.Logger) salesforce.Config {
	return salesforce.Config{CAFile: s.CAFile, APIVersion: s.Auth.APIVersion, Logger: log}
}
