package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/uploader"
	"go.yaml.in/yaml/v3"
)

// Reason says why an integration is disabled: CM's own enum.
type Reason string

// The reasons an integration is disabled.
const (
	// ReasonUser: an operator disabled it.
	ReasonUser Reason = "user"
	// ReasonQuota: CM's quota is reached.
	ReasonQuota Reason = "quota"
	// ReasonSyncError: its errors persisted past the configured time.
	ReasonSyncError Reason = "sync_error"
)

// Valid says whether r is one of the reasons above.
func (r Reason) Valid() bool { return r == ReasonUser || r == ReasonQuota || r == ReasonSyncError }

// Integration is one registered integration as the registry hands it out:
// its spec with the secrets opened, and its registry state.
type Integration struct {
	Spec integration.Spec
	// Enabled is false after Disable, until Enable.
	Enabled bool
	// Disabled says why and since when, while not Enabled.
	Disabled Disabled
	// Version is the store's version of this record; every change grows it.
	Version          int64
	Created, Updated time.Time
}

// Name is the integration's "<project>/<name>".
func (i Integration) Name() string { return i.Spec.Name }

// Disabled is why an integration does not run.
type Disabled struct {
	Reason Reason    `json:"reason,omitempty"`
	Note   string    `json:"note,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

// record is the stored form (JSON).
type record struct {
	Spec     string            `json:"spec"`
	Secrets  map[string]string `json:"secrets,omitempty"`
	Enabled  bool              `json:"enabled"`
	Disabled Disabled          `json:"disabled,omitzero"`
	Created  time.Time         `json:"created"`
}

// secretField is one secret of a spec: its dotted key and where it lives.
type secretField struct {
	key string
	get func(*integration.Spec) string
	set func(*integration.Spec, string)
}

// secretFields are every secret a spec holds. A new secret field of the
// spec must be added here, or it would be stored in the YAML in plaintext:
// TestEverySecretOfTheSpecIsSealed checks the spec's fields for it.
var secretFields = []secretField{
	{"salesforce.auth.client_secret",
		func(s *integration.Spec) string { return s.Salesforce.Auth.ClientSecret },
		func(s *integration.Spec, v string) { s.Salesforce.Auth.ClientSecret = v }},
	{"salesforce.access_token",
		func(s *integration.Spec) string { return s.Salesforce.AccessToken },
		func(s *integration.Spec, v string) { s.Salesforce.AccessToken = v }},
	{"commsmining.token",
		func(s *integration.Spec) string { return string(s.CommsMining.Token) },
		func(s *integration.Spec, v string) { s.CommsMining.Token = uploader.Secret(v) }},
}

// sealContext binds a sealed secret to its integration and field.
func sealContext(name, key string) string { return "integration/" + name + "/" + key }

// encode seals the secrets of i and returns the stored bytes.
func encode(i Integration, keys *sealed.Keyring) ([]byte, error) {
	spec := i.Spec
	secrets := map[string]string{}
	for _, f := range secretFields {
		v := f.get(&spec)
		f.set(&spec, "")
		if v == "" {
			continue
		}
		s, err := keys.SealString(v, sealContext(spec.Name, f.key))
		if err != nil {
			return nil, err
		}
		secrets[f.key] = s
	}
	text, err := yaml.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode the spec of %s: %w", spec.Name, err)
	}
	return json.Marshal(record{Spec: string(text), Secrets: secrets, Enabled: i.Enabled, Disabled: i.Disabled, Created: i.Created})
}

// decode opens a stored record.
func decode(name string, raw []byte, keys *sealed.Keyring) (Integration, error) {
	var rec record
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return Integration{}, fmt.Errorf("%w: the record of %s is not the registry's JSON: %v", ErrCorrupt, name, err)
	}
	var spec integration.Spec
	yd := yaml.NewDecoder(bytes.NewReader([]byte(rec.Spec)))
	yd.KnownFields(true)
	if err := yd.Decode(&spec); err != nil {
		return Integration{}, fmt.Errorf("%w: the stored spec of %s does not decode: %v", ErrCorrupt, name, err)
	}
	if spec.Name != name {
		return Integration{}, fmt.Errorf("%w: the record stored under %s names %q", ErrCorrupt, name, spec.Name)
	}
	known := map[string]bool{}
	for _, f := range secretFields {
		known[f.key] = true
		s, ok := rec.Secrets[f.key]
		if !ok {
			continue
		}
		v, err := keys.OpenString(s, sealContext(name, f.key))
		if err != nil {
			return Integration{}, fmt.Errorf("integration %s: %w", name, err)
		}
		f.set(&spec, v)
	}
	for k := range rec.Secrets {
		if !known[k] {
			return Integration{}, fmt.Errorf("%w: the record of %s holds an unknown secret %q", ErrCorrupt, name, k)
		}
	}
	return Integration{Spec: spec, Enabled: rec.Enabled, Disabled: rec.Disabled, Created: rec.Created}, nil
}

// SecretKeys are the dotted keys of the spec the registry seals.
func SecretKeys() []string {
	out := make([]string, len(secretFields))
	for i, f := range secretFields {
		out[i] = f.key
	}
	return out
}
