package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/simrun"
)

// simBanner is the first line `sfcdc sim` prints.
type simBanner = simrun.Banner

// sfcdcBinary is built once per test run, so subprocess tests exercise the
// real command line.
var sfcdcBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sfcdc-bin-")
	if err != nil {
		panic(err)
	}
	sfcdcBinary = filepath.Join(dir, "sfcdc")
	if out, err := exec.Command("go", "build", "-o", sfcdcBinary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startSimProcess runs `sfcdc sim` with args and returns its banner.
func startSimProcess(t *testing.T, args ...string) simBanner {
	t.Helper()
	cmd := exec.Command(sfcdcBinary, append([]string{"sim", "--pubsub-addr", "127.0.0.1:0", "--ca-file", filepath.Join(t.TempDir(), "ca.pem")}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	interruptAtCleanup(t, cmd)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the sim banner: %v", err)
	}
	var b simBanner
	if err := json.Unmarshal([]byte(line), &b); err != nil {
		t.Fatalf("the first line is not the banner: %v: %q", err, line)
	}
	return b
}

// simEnv points the connection settings at a simulator.
func simEnv(b simBanner) []string {
	return append(os.Environ(),
		"SFCDC_PUBSUB_ADDR="+b.PubSubAddr, "SFCDC_CA_FILE="+b.CAFile, "SFCDC_ACCESS_TOKEN="+b.AccessToken,
		"SFCDC_INSTANCE_URL="+b.InstanceURL, "SFCDC_TENANT_ID="+b.TenantID)
}

// interruptAtCleanup stops a started process when the test ends: SIGINT
// first, as an operator would, then SIGKILL after 10 s.
func interruptAtCleanup(t *testing.T, cmd *exec.Cmd) {
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
}
