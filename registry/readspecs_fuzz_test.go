package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfcdc/sfcdc/registry"
)

// FuzzReadSpecsNeverPanics: whatever an integration file holds (one
// integration, a list, anything else), ReadSpecs returns specs or an
// ErrInvalid naming the problems, never a panic.
func FuzzReadSpecsNeverPanics(f *testing.F) {
	f.Add([]byte("name: acme/support\ncommsmining: {project: acme, source: s}\nobjects: [{object: Case}]\n"))
	f.Add([]byte("- name: acme/a\n  objects: [{object: Case}]\n- name: acme/b\n  objcts: []\n"))
	f.Add([]byte("- 1\n- [x]\n"))
	f.Add([]byte("name: ${X}\n"))
	f.Add([]byte(""))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(dir, "apply.yaml")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		specs, err := registry.ReadSpecs(path, func(string) (string, bool) { return "", false })
		if err != nil && !errors.Is(err, registry.ErrInvalid) {
			t.Fatalf("an error that is not ErrInvalid: %v", err)
		}
		if err == nil && len(specs) == 0 {
			t.Fatal("no error and no spec")
		}
	})
}
