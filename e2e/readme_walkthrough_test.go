package e2e

import (
	"bytes"
	"context"
	"github.com/sfcdc/sfcdc/clitest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The README's walk-through, from "Then: run the daemon against the
// simulators" to the end of the OAuth login, runs in one bash session as
// written: its shell blocks verbatim, and the commands its prose gives for
// "another terminal" and "after stopping the daemon". Only what a person
// does by hand is played by the harness, each in one place below: the
// daemon's Ctrl-C (the daemon runs in the background until then), waiting
// for the changed case's comment to arrive, and clicking Allow on the
// simulated login page. `set -e` makes any command that fails fail the test.
func TestTheReadmeWalkThroughRunsAsWrittenInOneShellSession(t *testing.T) {
	t.Parallel()
	holdRepoBin(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's walk-through uses curl: install the Debian package curl (.ci/run does)")
	}
	section := readmeSection(t, readme(t), "### Then: run the daemon against the simulators", "## Connecting a real org")
	blocks := shellBlocks(section)
	if len(blocks) != 3 {
		t.Fatalf("the walk-through has %d shell blocks; this test plays 3 (daemon, change a record, login): update it with the README", len(blocks))
	}
	during, afterStop := anotherTerminalCommands(t, section)

	var script strings.Builder
	script.WriteString(walkthroughHarness)
	for _, c := range shellCommands(blocks[0]) {
		if strings.HasPrefix(c, "bin/sfcdc run ") {
			// The foreground daemon: in the background until its Ctrl-C.
			script.WriteString(stripComment(c) + " & DAEMON=$!\nawait_ready\n")
			continue
		}
		script.WriteString(c + "\n")
	}
	for _, c := range during {
		script.WriteString(c + " > /dev/null\n")
	}
	changes := shellCommands(blocks[1])
	for _, c := range changes[:len(changes)-1] {
		script.WriteString(c + "\n")
	}
	// The last command reads the comment: 404 until the daemon sent it.
	script.WriteString("await_output 'now it beeps' " + shellQuote(changes[len(changes)-1]) + "\n")
	script.WriteString("ctrl_c $DAEMON\n")
	for _, c := range afterStop {
		script.WriteString(c + "\n")
	}
	for _, c := range shellCommands(blocks[2]) {
		if strings.HasPrefix(c, "bin/sfcdc auth login") {
			script.WriteString(stripComment(c) + " --no-browser > \"$WALK/login.out\" 2>&1 & LOGIN=$!\n" +
				"click_allow \"$WALK/login.out\"\nwait $LOGIN\ncat \"$WALK/login.out\"\n")
			continue
		}
		script.WriteString(c + "\n")
	}
	script.WriteString("echo WALKTHROUGH-DONE\n")

	walk := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bash := exec.CommandContext(ctx, "bash", "-c", script.String())
	bash.Dir = clitest.ModuleRoot(t)
	bash.Env = walkthroughEnv(t, walk)
	// The session is a process group of its own: a timeout stops it whole,
	// background jobs included, like closing the terminal.
	bash.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	bash.Cancel = func() error { return syscall.Kill(-bash.Process.Pid, syscall.SIGKILL) }
	bash.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	bash.Stdout, bash.Stderr = &out, &out
	err := bash.Run()
	_ = syscall.Kill(-bash.Process.Pid, syscall.SIGKILL) // whatever the session left running
	if err != nil || !strings.Contains(out.String(), "WALKTHROUGH-DONE") {
		t.Fatalf("the README walk-through failed (%v):\n%s\n--- the session's script:\n%s", err, lastBytes(out.String(), 6000), script.String())
	}
	for _, want := range []string{"now it beeps", "web_server", `"replay_id"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, lastBytes(out.String(), 4000))
		}
	}
}

// walkthroughHarness plays the person at the terminal.
const walkthroughHarness = `set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true; wait || true' EXIT # the terminal closes: what runs stops
await_ready() { # the daemon serves /readyz 200 once every topic streams
  for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9464/readyz)" = 200 ] && return 0
    sleep 0.2
  done
  echo "the daemon never became ready"; return 1
}
await_output() { # what a person does: run the command again until its answer shows want
  local want=$1 cmd=$2
  for _ in $(seq 300); do
    eval "$cmd" | grep -q "$want" && { eval "$cmd"; echo; return 0; }
    sleep 0.2
  done
  echo "never saw $want from: $cmd"; return 1
}
ctrl_c() { kill -INT "$1"; wait "$1"; }
click_allow() { # open the authorize URL the login printed, and click Allow
  local url="" req loc
  for _ in $(seq 300); do
    url=$(grep -o 'http://[^ ]*/services/oauth2/authorize?[^ ]*' "$1" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  req=$(curl -s "$url" | sed -n 's/.*name="request" value="\([^"]*\)".*/\1/p')
  loc=$(curl -s -o /dev/null -w '%{redirect_url}' --data-urlencode "request=$req" -d decision=allow "${url%%\?*}")
  curl -s -o /dev/null "$loc"
}
`

// walkthroughEnv is a fresh terminal's: no SFCDC_ variable, and a home of
// its own for the login's token file. Go's module and build caches stay
// where they are (they default to the home): a cold cache would download
// and compile every module inside the test's time limit.
func walkthroughEnv(t *testing.T, walk string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SFCDC_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	for _, name := range []string{"GOMODCACHE", "GOCACHE", "GOPATH"} {
		if os.Getenv(name) != "" {
			continue
		}
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		env = append(env, name+"="+strings.TrimSpace(string(out)))
	}
	// The README's `go build` and `go run` are built as sfcdcBinary is
	// (-trimpath, no cgo), so they reuse its compiled packages: with other
	// flags a clean clone compiled everything again inside this test
	// (8 s → 87 s).
	return append(env, "HOME="+walk, "WALK="+walk, "PATH="+os.Getenv("PATH")+":/usr/local/go/bin",
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"), "CGO_ENABLED=0")
}

// readmeSection is the text from the heading from up to the heading to.
func readmeSection(t *testing.T, text, from, to string) string {
	t.Helper()
	start := strings.Index(text, from)
	end := strings.Index(text, to)
	if start < 0 || end < start {
		t.Fatalf("the README has no section from %q to %q", from, to)
	}
	return text[start:end]
}

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// shellBlocks are the text of the section's ```sh blocks, in order.
func shellBlocks(section string) []string {
	var out []string
	for _, m := range shellBlock.FindAllStringSubmatch(section, -1) {
		out = append(out, m[1])
	}
	return out
}

// shellCommands splits a block into commands, joining lines continued
// with a backslash.
func shellCommands(block string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		cur.WriteString(line)
		if strings.HasSuffix(line, "\\") {
			cur.WriteString("\n")
			continue
		}
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, cur.String())
		}
		cur.Reset()
	}
	return out
}

var trailingComment = regexp.MustCompile(`\s+#\s.*$`)

func stripComment(c string) string { return trailingComment.ReplaceAllString(c, "") }

var inlineCommand = regexp.MustCompile("`((?:curl|bin/sfcdc) [^`]+)`")

// anotherTerminalCommands are the commands of the prose after the first
// block: those it gives while the daemon runs, and those for after it
// stopped (the file store is one process's at a time).
func anotherTerminalCommands(t *testing.T, section string) (during, afterStop []string) {
	t.Helper()
	start := strings.Index(section, "In another terminal")
	stop := strings.Index(section, "After stopping the daemon")
	end := strings.Index(section, "**Change a record")
	if start < 0 || stop < start || end < stop {
		t.Fatal("the README's walk-through no longer says what to run in another terminal and after stopping the daemon: update this test with it")
	}
	for _, m := range inlineCommand.FindAllStringSubmatch(section[start:stop], -1) {
		during = append(during, m[1])
	}
	for _, m := range inlineCommand.FindAllStringSubmatch(section[stop:end], -1) {
		afterStop = append(afterStop, m[1])
	}
	if len(during) == 0 || len(afterStop) == 0 {
		t.Fatalf("found %d commands for another terminal and %d for after the stop; want some of each", len(during), len(afterStop))
	}
	return during, afterStop
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func lastBytes(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// repoBin is held by the README session that runs: the walk-throughs
// build into and write the repository's bin/ (bin/sfcdc, bin/sim.json,
// the daemons' logs), as a person following the README does, so two
// sessions at once would overwrite each other's files.
var repoBin sync.Mutex

// holdRepoBin holds repoBin until the test ends; the walk-throughs are
// parallel to the rest of the package, one at a time among themselves.
func holdRepoBin(t *testing.T) {
	repoBin.Lock()
	t.Cleanup(repoBin.Unlock)
}
