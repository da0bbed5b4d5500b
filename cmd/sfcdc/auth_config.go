package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/salesforce"
)

// authSection is salesforce.auth in the configuration file: how sfcdc
// obtains Salesforce sessions over OAuth. When flow is set it replaces the
// fixed access_token / instance_url / tenant_id, which then come from the
// token response. Secrets belong in the environment (SFCDC_CLIENT_SECRET,
// SFCDC_REDIS_PASSWORD) or in ${VAR} references, never on the command line.
type authSection struct {
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
}

// configured reports whether OAuth is in use.
func (a authSection) configured() bool { return a.Flow != "" }

// applyAuthEnv lets the environment override salesforce.auth keys.
func applyAuthEnv(a *authSection) error {
	for env, field := range map[string]*string{
		"SFCDC_AUTH_FLOW":        &a.Flow,
		"SFCDC_LOGIN_URL":        &a.LoginURL,
		"SFCDC_CLIENT_ID":        &a.ClientID,
		"SFCDC_CLIENT_SECRET":    &a.ClientSecret,
		"SFCDC_PRIVATE_KEY_FILE": &a.PrivateKeyFile,
		"SFCDC_USERNAME":         &a.Username,
		"SFCDC_TOKEN_STORE":      &a.TokenStore,
		"SFCDC_TOKEN_FILE":       &a.TokenFile,
		"SFCDC_API_VERSION":      &a.APIVersion,
	} {
		if v, ok := os.LookupEnv(env); ok {
			*field = v
		}
	}
	if v, ok := os.LookupEnv("SFCDC_REDIS_ADDRS"); ok {
		a.RedisAddrs = strings.Split(v, ",")
	}
	if v, ok := os.LookupEnv("SFCDC_CALLBACK_PORT"); ok {
		port, err := strconv.Atoi(v)
		if err != nil {
			return usageError{fmt.Errorf("SFCDC_CALLBACK_PORT=%s: want a port number", quote.Value(v))}
		}
		a.CallbackPort = port
	}
	return nil
}

// salesforceConfig is the salesforce package's configuration for this
// section; caFile is salesforce.ca_file, shared with the Pub/Sub client.
func (a authSection) salesforceConfig(caFile string, log *slog.Logger) salesforce.Config {
	return salesforce.Config{
		Flow: salesforce.Flow(a.Flow), LoginURL: a.LoginURL, ClientID: a.ClientID, ClientSecret: salesforce.Secret(a.ClientSecret),
		Scopes: a.Scopes, CallbackPort: a.CallbackPort, DisablePKCE: a.PKCE != nil && !*a.PKCE,
		PrivateKeyFile: a.PrivateKeyFile, Username: a.Username, CAFile: caFile, TrustedHosts: a.TrustedHosts,
		APIVersion: a.APIVersion, Logger: log,
	}
}

// validate checks the section; errors name salesforce.auth.<key>.
func (a authSection) validate(caFile string) error {
	var problems []string
	if err := a.salesforceConfig(caFile, nil).Validate(); err != nil {
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
func (a authSection) fileProblems(insecure bool) []string {
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

// tokenStore opens the configured store; close releases it.
func (a authSection) tokenStore() (store salesforce.TokenStore, close func(), err error) {
	if a.TokenStore == "redis" {
		client := redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs: a.RedisAddrs, Username: a.RedisUsername, Password: os.Getenv("SFCDC_REDIS_PASSWORD"), MasterName: a.RedisMaster,
		})
		return salesforce.RedisTokenStore{Client: client, Key: a.RedisKey}, func() { _ = client.Close() }, nil
	}
	path := a.TokenFile
	if path == "" {
		if path, err = salesforce.DefaultTokenFile(); err != nil {
			return nil, nil, usageError{err}
		}
	}
	return salesforce.FileTokenStore{Path: path}, func() {}, nil
}

// oauthCredentials are the OAuth session source of the streaming
// commands. They are built on first use, so the commands keep their
// simple shape, and a problem (an unreadable key file, no stored login)
// surfaces as the command's error.
type oauthCredentials struct {
	auth   authSection
	caFile string
	log    *slog.Logger

	once  sync.Once
	creds *salesforce.Credentials
	err   error
}

func (o *oauthCredentials) get() (*salesforce.Credentials, error) {
	o.once.Do(func() {
		store, _, err := o.auth.tokenStore()
		if err != nil {
			o.err = err
			return
		}
		o.creds, o.err = salesforce.NewCredentials(o.auth.salesforceConfig(o.caFile, o.log), store)
	})
	return o.creds, o.err
}

// Current returns the session in use.
func (o *oauthCredentials) Current(ctx context.Context) (pubsub.Session, error) {
	c, err := o.get()
	if err != nil {
		return pubsub.Session{}, err
	}
	return c.Current(ctx)
}

// Refresh replaces a rejected session.
func (o *oauthCredentials) Refresh(ctx context.Context, rejected pubsub.Session) (pubsub.Session, error) {
	c, err := o.get()
	if err != nil {
		return pubsub.Session{}, err
	}
	return c.Refresh(ctx, rejected)
}
