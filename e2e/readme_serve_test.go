package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/clitest"
)

// The README's walk-through of `sfcdc serve` runs as written in one bash
// session: its shell block verbatim, with the harness playing what a
// person does by hand in one place: running `integrations list` again
// until the integration streams. The key prefix it exported is printed at
// the end, so the test removes the keys the walk-through left in Redis.
func TestTheReadmeServeWalkThroughRunsAsWritten(t *testing.T) {
	t.Parallel()
	holdRepoBin(t)
	section := readmeSection(t, readme(t), "## Many integrations: `sfcdc serve`", "## Configuration reference")
	blocks := shellBlocks(section)
	if len(blocks) != 1 {
		t.Fatalf("the serve walk-through has %d shell blocks; this test plays 1: update it with the README", len(blocks))
	}
	var script strings.Builder
	script.WriteString(walkthroughHarness)
	listed := false
	for _, c := range shellCommands(blocks[0]) {
		if strings.HasPrefix(c, "bin/sfcdc integrations list ") && !listed {
			// A person runs list again until the integration streams.
			script.WriteString("await_output 'sfcdc/support  *streaming' " + shellQuote(stripComment(c)) + "\n")
			listed = true
			continue
		}
		script.WriteString(c + "\n")
	}
	if !listed {
		t.Fatal("the serve walk-through no longer runs `bin/sfcdc integrations list`: update this test with the README")
	}
	script.WriteString("echo \"KEYPREFIX=$SERVE_KEY_PREFIX\"\ncat bin/serve-1.log bin/serve-2.log\necho WALKTHROUGH-DONE\n")

	walk := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bash := exec.CommandContext(ctx, "bash", "-c", script.String())
	bash.Dir = clitest.ModuleRoot(t)
	bash.Env = walkthroughEnv(t, walk)
	bash.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	bash.Cancel = func() error { return syscall.Kill(-bash.Process.Pid, syscall.SIGKILL) }
	bash.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	bash.Stdout, bash.Stderr = &out, &out
	err := bash.Run()
	_ = syscall.Kill(-bash.Process.Pid, syscall.SIGKILL)
	if m := regexp.MustCompile(`KEYPREFIX=(sim-\d+:)`).FindStringSubmatch(out.String()); m != nil {
		t.Cleanup(func() { deleteKeys(m[1]) })
	}
	if err != nil || !strings.Contains(out.String(), "WALKTHROUGH-DONE") {
		t.Fatalf("the serve walk-through failed (%v):\n%s\n--- the session's script:\n%s", err, lastBytes(out.String(), 6000), script.String())
	}
	for _, want := range []string{"created    sfcdc/support", "dry run: nothing was written", "access_token: (sealed)",
		"disabled   sfcdc/support", "enabled    sfcdc/support", "purged     sfcdc/support", "serving the registry's integrations"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, lastBytes(out.String(), 4000))
		}
	}
}

// deleteKeys removes the keys under prefix from the test Redis.
func deleteKeys(prefix string) {
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	ctx := context.Background()
	if keys, _ := client.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
		client.Del(ctx, keys...)
	}
}
