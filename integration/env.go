package integration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/uploader"
)

// Env looks up an environment variable: its value and whether it is set.
// The package reads no process state itself: sfcdc passes os.LookupEnv, a
// test or an embedding program a map (MapEnv) or nil (nothing set).
type Env func(name string) (string, bool)

// MapEnv is the environment holding exactly m.
func MapEnv(m map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// lookup is env's answer; a nil Env has nothing set.
func (env Env) lookup(name string) (string, bool) {
	if env == nil {
		return "", false
	}
	return env(name)
}

// ApplyEnv lets the environment override keys of spec: the salesforce
// keys (ApplySalesforceEnv) and commsmining.token (SFCDC_CM_TOKEN).
func ApplyEnv(spec *Spec, env Env) error {
	if err := ApplySalesforceEnv(&spec.Salesforce, env); err != nil {
		return err
	}
	if v, ok := env.lookup("SFCDC_CM_TOKEN"); ok {
		spec.CommsMining.Token = uploader.Secret(v)
	}
	return nil
}

// ApplySalesforceEnv lets the environment override salesforce keys:
// SFCDC_PUBSUB_ADDR, SFCDC_ACCESS_TOKEN, SFCDC_INSTANCE_URL,
// SFCDC_TENANT_ID, SFCDC_CA_FILE, SFCDC_INSECURE and the salesforce.auth
// ones (applyAuthEnv).
func ApplySalesforceEnv(sf *Salesforce, env Env) error {
	for name, field := range map[string]*string{
		"SFCDC_PUBSUB_ADDR":  &sf.PubSubEndpoint,
		"SFCDC_ACCESS_TOKEN": &sf.AccessToken,
		"SFCDC_INSTANCE_URL": &sf.InstanceURL,
		"SFCDC_TENANT_ID":    &sf.TenantID,
		"SFCDC_CA_FILE":      &sf.CAFile,
	} {
		if v, ok := env.lookup(name); ok {
			*field = v
		}
	}
	if v, ok := env.lookup("SFCDC_INSECURE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Invalid(fmt.Errorf("SFCDC_INSECURE=%s: want true or false", quote.Value(v)))
		}
		sf.Insecure = b
	}
	return applyAuthEnv(&sf.Auth, env)
}

// applyAuthEnv lets the environment override salesforce.auth keys, and
// gives the Redis token store its password (SFCDC_REDIS_PASSWORD, never a
// key of the file).
func applyAuthEnv(a *Auth, env Env) error {
	for name, field := range map[string]*string{
		"SFCDC_AUTH_FLOW":        &a.Flow,
		"SFCDC_LOGIN_URL":        &a.LoginURL,
		"SFCDC_CLIENT_ID":        &a.ClientID,
		"SFCDC_CLIENT_SECRET":    &a.ClientSecret,
		"SFCDC_PRIVATE_KEY_FILE": &a.PrivateKeyFile,
		"SFCDC_USERNAME":         &a.Username,
		"SFCDC_TOKEN_STORE":      &a.TokenStore,
		"SFCDC_TOKEN_FILE":       &a.TokenFile,
		"SFCDC_API_VERSION":      &a.APIVersion,
		"SFCDC_REDIS_PASSWORD":   &a.RedisPassword,
	} {
		if v, ok := env.lookup(name); ok {
			*field = v
		}
	}
	if v, ok := env.lookup("SFCDC_REDIS_ADDRS"); ok {
		a.RedisAddrs = strings.Split(v, ",")
	}
	if v, ok := env.lookup("SFCDC_CALLBACK_PORT"); ok {
		port, err := strconv.Atoi(v)
		if err != nil {
			return Invalid(fmt.Errorf("SFCDC_CALLBACK_PORT=%s: want a port number", quote.Value(v)))
		}
		a.CallbackPort = port
	}
	return nil
}

// ErrInvalid marks every error about the configuration: what the operator
// fixes in the file, the environment or the flags (sfcdc exits 2).
var ErrInvalid = errors.New("invalid configuration")

// invalidError is an error about the configuration; its text is the
// cause's own.
type invalidError struct{ err error }

func (e invalidError) Error() string        { return e.err.Error() }
func (e invalidError) Unwrap() error        { return e.err }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid marks err as a configuration error (errors.Is(err, ErrInvalid))
// without changing its text; nil stays nil.
func Invalid(err error) error {
	if err == nil || errors.Is(err, ErrInvalid) {
		return err
	}
	return invalidError{err}
}
