package serve_test

import (
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/serve"
)

// The soft memory limit serve gives the runtime: GOMEMLIMIT wins (the
// runtime applied it), then memory_limit_mb, then three quarters of what
// the container (or machine) has; a negative setting is a named problem.
func TestServesMemoryLimitComesFromGOMEMLIMITTheSettingOrTheContainer(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	if got := serve.MemoryLimit(serve.Settings{MemoryLimitMB: 512}, env(map[string]string{"GOMEMLIMIT": "1GiB"})); got != 0 {
		t.Errorf("with GOMEMLIMIT set: %d, want 0 (left to the runtime)", got)
	}
	if got := serve.MemoryLimit(serve.Settings{MemoryLimitMB: 512}, env(nil)); got != 512<<20 {
		t.Errorf("memory_limit_mb 512: %d, want %d", got, 512<<20)
	}
	if got := serve.MemoryLimit(serve.Settings{}, env(nil)); got <= 0 {
		t.Errorf("the default: %d, want three quarters of the container's or machine's memory", got)
	}
	problems := strings.Join(serve.Settings{MemoryLimitMB: -1}.Problems(), "\n")
	if !strings.Contains(problems, "memory_limit_mb: -1 is negative") {
		t.Errorf("problems of memory_limit_mb -1: %q", problems)
	}
}
