package integration

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Auth is salesforce.auth in the configuration file: how sfcdc
// obtains Salesforce sessions over OAuth. When flow is set it replaces the
// fixed access_token / instance_url / tenant_id, which then come from the
// token response. Secrets belong in the environment (SFCDC_CLIENT_SECRET,
// SFCDC_REDIS_PASSWORD) or in ${VAR} references, never on the command line.
type Auth struct {
	Flow           string   `yaml:"flow"`             // web_server | jwt_bearer | client_credentials
	LoginURL       string   `yaml:"login_url"`        // default https://login.salesforce.com; My Domain URL for client_credentials
	ClientID       string   `yaml:"client_id"`        // consumer key
	ClientSecret   string   `yaml:"client_secret"`    // consumer secret (prefer SFCDC_CLIENT_SECRET)
	Scopes         []string `yaml:"scopes"`           // default [api, refresh_token, offline_access]
	CallbackPort   int      `yaml:"callback_port"`    // default 1717: http://localhost:<port>/oauth2/callback
	PKCE           *bool    `yaml:"pkce"`             // default true
	PrivateKeyFile string   `yaml:"private_key_file"` // jwt_bearer: PEM RSA key, mode 0600
	Username       string   `yaml:"username"`         // jwt_bearer: the integration user
	TrustedHosts   []string `yaml:"trusted_hosts"`    // extra instance URL hosts to trust
	APIVersion     string   `yaml:"api_version"`      // default 62.0
	TokenStore     string   `yaml:"token_store"`      // file (default) | redis
	TokenFile      string   `yaml:"token_file"`       // default <user config dir>/sfcdc/salesforce-token.json
	RedisAddrs     []string `yaml:"redis_addrs"`      // token_store redis: host:port list (single, Sentinel or Cluster)
	RedisUsername  string   `yaml:"redis_username"`
	RedisKey       string   `yaml:"redis_key"` // default cdc:auth:salesforce
	RedisMaster    string   `yaml:"redis_master"`
	// RedisPassword is the Redis token store's password: never a key of
	// the file, only SFCDC_REDIS_PASSWORD (ApplyEnv).
	RedisPassword string `yaml:"-"`
}

// Configured reports whether OAuth is in use.
func (a Auth) Configured() bool { return a.Flow != "" }

// SalesforceConfig is the salesforce package's configuration for this
// section; caFile is salesforce.ca_file, shared with the Pub/Sub client.
func (a Auth) SalesforceConfig(caFile string, log *slog.Logger) salesforce.Config {
	return salesforce.Config{
		Flow: salesforce.Flow(a.Flow), LoginURL: a.LoginURL, ClientID: a.ClientID, ClientSecret: salesforce.Secret(a.ClientSecret),
		Scopes: a.Scopes, CallbackPort: a.CallbackPort, DisablePKCE: a.PKCE != nil && !*a.PKCE,
		PrivateKeyFile: a.PrivateKeyFile, Username: a.Username, CAFile: caFile, TrustedHosts: a.TrustedHosts,
		APIVersion: a.APIVersion, Logger: log,
	}
}

// validate checks the section; errors name salesforce.auth.<key>.
func (a Auth) validate(caFile string) error {
	var problems []string
	if err := a.SalesforceConfig(caFile, nil).Validate(); err != nil {
		detail := strings.TrimPrefix(err.Error(), salesforce.ErrInvalidConfig.Error()+": ")
		for _, p := range strings.Split(detail, "; ") {
			problems = append(problems, "salesforce.auth."+p)
		}
	}
	switch a.TokenStore {
	case "", "file":
	case "redis":
		if len(a.RedisAddrs) == 0 {
			problems = append(problems, "salesforce.auth.redis_addrs is empty: list the Redis address(es) the token is kept in, or SFCDC_REDIS_ADDRS")
		}
	default:
		problems = append(problems, fmt.Sprintf("salesforce.auth.token_store %s is not file or redis", quote.Value(a.TokenStore)))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	return nil
}

// fileProblems are the checks of salesforce.auth that look beyond the
// values: a plain-http login URL (accepted on loopback by the salesforce
// package, for its tests) needs salesforce.insecure here, as the Pub/Sub
// endpoint does; and a JWT key file that exists must be private, so a
// shared key stops the process at start instead of at its first session.
func (a Auth) fileProblems(insecure bool) []string {
	var problems []string
	if a.LoginURL != "" && salesforce.CheckConfiguredURL("login_url", a.LoginURL, a.TrustedHosts, true) == nil {
		if err := salesforce.CheckConfiguredURL("salesforce.auth.login_url", a.LoginURL, a.TrustedHosts, insecure); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if a.Flow == string(salesforce.FlowJWTBearer) && a.PrivateKeyFile != "" {
		// A key not there yet (a secret mounted later, the example file) is
		// reported when the first session needs it.
		if err := salesforce.CheckKeyFile(a.PrivateKeyFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			problems = append(problems, "salesforce.auth.private_key_file: "+err.Error())
		}
	}
	return problems
}

// OpenTokenStore opens the configured token store; close releases it.
func (a Auth) OpenTokenStore() (store salesforce.TokenStore, close func(), err error) {
	if a.TokenStore == "redis" {
		client := redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs: a.RedisAddrs, Username: a.RedisUsername, Password: a.RedisPassword, MasterName: a.RedisMaster,
		})
		return salesforce.RedisTokenStore{Client: client, Key: a.RedisKey}, func() { _ = client.Close() }, nil
	}
	path := a.TokenFile
	if path == "" {
		if path, err = salesforce.DefaultTokenFile(); err != nil {
			return nil, nil, Invalid(err)
		}
	}
	return salesforce.FileTokenStore{Path: path}, func() {}, nil
}
