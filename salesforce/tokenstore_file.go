package salesforce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileTokenStore keeps the token in a JSON file only its owner can read:
// the directory is created 0700, the file is written 0600 to a temporary
// file in the same directory, synced and renamed into place, so a crash
// never leaves half a token. Load refuses a file others can read or that
// another user owns.
type FileTokenStore struct {
	Path string
}

// DefaultTokenFile is <user config dir>/sfcdc/salesforce-token.json.
func DefaultTokenFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user configuration directory: %w; set salesforce.auth.token_file", err)
	}
	return filepath.Join(dir, "sfcdc", "salesforce-token.json"), nil
}

func (s FileTokenStore) String() string { return "file " + s.Path }

// Load reads and checks the file.
func (s FileTokenStore) Load(context.Context) (StoredToken, error) {
	f, err := os.Open(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return StoredToken{}, ErrNoStoredToken
	}
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token file: %w", err)
	}
	if err := checkPrivateFile(s.Path, info); err != nil {
		return StoredToken{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxStoredToken+1))
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token file: %w", err)
	}
	t, err := decodeStoredToken(raw)
	if err != nil {
		return StoredToken{}, fmt.Errorf("read token file %s: %w; run `sfcdc auth login` to replace it", s.Path, err)
	}
	return t, nil
}

// checkPrivateFile refuses a token file readable by group or others.
func checkPrivateFile(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("read token file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("read token file %s: it is readable by group or others (mode %04o); run chmod 600 %s", path, perm, path)
	}
	return checkOwner(path, info)
}

// Save writes the token atomically with mode 0600.
func (s FileTokenStore) Save(_ context.Context, t StoredToken) error {
	raw, err := encodeStoredToken(t)
	if err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	defer clear(raw)
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".salesforce-token-*") // O_EXCL, mode 0600
	if err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := writeSynced(tmp, raw); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

func writeSynced(f *os.File, raw []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
