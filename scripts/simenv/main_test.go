package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimenvExitsNonZeroNamingTheCauseWhenTheFileHasNoBanner(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "simenv")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	empty := filepath.Join(t.TempDir(), "sim.json") // what a sim that failed to start leaves
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notBanner := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(notBanner, []byte("{\"hello\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"an empty file", []string{"-wait", "0s", empty}, 1, []string{"no banner in " + empty, "address already in use", "stop that one"}},
		{"a missing file", []string{filepath.Join(t.TempDir(), "none.json")}, 1, []string{"no banner in"}},
		{"a line that is not the banner", []string{"-wait", "0s", notBanner}, 1, []string{"not the banner of sfcdc sim"}},
		{"no file named", nil, 2, []string{"usage: simenv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.code || stdout.Len() != 0 {
				t.Fatalf("exit %v with %q on standard output; want exit %d and nothing to eval", err, stdout.String(), tc.code)
			}
			for _, want := range tc.says {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("standard error does not say %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

func TestSimenvExportsTheBannerOnceTheLineIsComplete(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sim.json")
	line := `{"pubsub_addr":"127.0.0.1:7443","access_token":"00D!x'y","state_file":"/tmp/sfcdc-sim-1/state.db"}` + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{file}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"export SFCDC_PUBSUB_ADDR='127.0.0.1:7443'\n", "export SFCDC_ACCESS_TOKEN='00D!xy'\n", "export SFCDC_SIM_STATE_FILE='/tmp/sfcdc-sim-1/state.db'\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the exports lack %q:\n%s", want, stdout.String())
		}
	}
}
