package salesforce

import (
	"fmt"
	"os"
)

// CheckKeyFile checks the JWT private key file before it is read: it must
// be a regular file of PEM size that neither group nor others can access,
// as ssh demands of its keys. A key others can read may already be copied;
// refusing it makes the operator notice. The error names the file and the
// chmod that fixes it, never the file's content.
func CheckKeyFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read private key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("read private key %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("read private key %s: group or others can access it (mode %04o): run chmod 600 %s", path, perm, path)
	}
	if info.Size() > maxKeyFile {
		return fmt.Errorf("read private key %s: %d bytes is too large for a PEM key", path, info.Size())
	}
	return nil
}
