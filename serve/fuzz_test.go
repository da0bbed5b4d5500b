package serve_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/serve"
)

// FuzzLoadFileNeverPanics: whatever bytes the serve configuration holds,
// LoadFile returns the settings or a configuration error (exit 2), never
// a panic or another kind of error.
func FuzzLoadFileNeverPanics(f *testing.F) {
	f.Add([]byte("store:\n  redis_url: redis://127.0.0.1:6379\ninstance: s1\nlease_ttl: 5s\n"))
	f.Add([]byte("store: {file_path: /tmp/x.db}\npoll_interval: -1s\nlease_tll: 1s\n"))
	f.Add([]byte("instance: ${VAR}\nstore: [1, 2]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("{"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(dir, "serve.yaml")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := serve.LoadFile(path, func(string) (string, bool) { return "x", true }); err != nil && !errors.Is(err, integration.ErrInvalid) {
			t.Fatalf("an error that is not ErrInvalid: %v", err)
		}
	})
}
