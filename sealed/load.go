package sealed

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxKeyFile bounds a key file: a keyring of a few keys is well under 1 KiB.
const maxKeyFile = 64 << 10

// Load builds the keyring of a process from the value of SFCDC_SECRET_KEY
// (envValue) or, when that is empty, from the key file at path. Exactly
// one of them must be set; the error says which to set and how to make a
// key. The caller (the process edge) reads the environment and the flag.
func Load(envValue, path string) (*Keyring, error) {
	switch {
	case envValue != "" && path != "":
		return nil, fmt.Errorf("%w: both %s and a key file (%s) are set; keep one", ErrBadKey, EnvKeys, path)
	case envValue != "":
		r, err := ParseKeys(envValue)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKeys, err)
		}
		return r, nil
	case path != "":
		return loadFile(path)
	}
	return nil, fmt.Errorf("%w: set %s to a key (make one with `sfcdc integrations generate-key`) or give a key file (secret_key_file: in the serve configuration)", ErrNoKey, EnvKeys)
}

func loadFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: key file %s does not exist; create it with `sfcdc integrations generate-key > %s`", ErrNoKey, path, path)
		}
		return nil, fmt.Errorf("%w: read key file: %v", ErrBadKey, err)
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read key file %s: %v", ErrBadKey, path, err)
	}
	if len(text) > maxKeyFile {
		return nil, fmt.Errorf("%w: key file %s is over %d KiB; it should hold a few lines of \"ID:KEY\"", ErrBadKey, path, maxKeyFile>>10)
	}
	r, err := ParseKeys(string(text))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return r, nil
}
