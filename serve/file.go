package serve

import (
	"errors"
	"fmt"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
)

// File is the serve configuration file (`sfcdc serve --config`, also read
// by `sfcdc integrations --config` to reach the registry): the store
// section exactly as `sfcdc run`'s file has it, and the process-level
// Settings at the top level. The integrations are not in it: they come
// from the registry. examples/serve/serve.yaml shows every key.
type File struct {
	Store    replay.Config `yaml:"store"`
	Settings `yaml:",inline"`
}

// LoadFile reads the serve configuration at path with ${VAR} references
// expanded from env, and checks it in one pass: unknown keys (with their
// line and the key probably meant), values of the wrong kind and every
// setting's problem, one a line, sorted by line, in one error matching
// integration.ErrInvalid.
func LoadFile(path string, env integration.Env) (File, error) {
	if path == "" {
		return File{}, integration.Invalid(errors.New("--config is required: the serve configuration names the store (see examples/serve/serve.yaml)"))
	}
	f, err := integration.DecodeFile[File](path, env)
	if err != nil {
		return f.Value, err
	}
	problems := integration.Keyed("store.", f.Value.Store.Validate())
	return f.Value, f.Check(append(problems, f.Value.Settings.Problems()...))
}

// Keys loads the deployment's keyring: from envKey (the value of
// SFCDC_SECRET_KEY) or the file secret_key_file names; exactly one of the
// two. The error names both and how to make a key.
func (f File) Keys(envKey string) (*sealed.Keyring, error) {
	keys, err := sealed.Load(envKey, f.SecretKeyFile)
	if err != nil {
		return nil, integration.Invalid(fmt.Errorf("the secret key: %w", err))
	}
	return keys, nil
}
