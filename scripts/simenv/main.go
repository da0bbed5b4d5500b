// Command simenv prints shell exports for the connection settings in the
// first line `sfcdc sim` writes, so `eval "$(go run ./scripts/simenv FILE)"`
// points `sfcdc subscribe` at the simulator.

package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes: 2 for bad usage, 1 when FILE holds no banner.
const (
	exitNoBanner = 1
	exitUsage    = 2
)

// banner is the part of the first line of `sfcdc sim` simenv exports.
type banner struct {
	PubSubAddr   string `json:"pubsub_addr"`
	CAFile       string `json:"ca_file"`
	Insecure     bool   `json:"insecure"`
	AccessToken  string `json:"access_token"`
	InstanceURL  string `json:"instance_url"`
	TenantID     string `json:"tenant_id"`
	LoginURL     string `json:"login_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	CMURL        string `json:"commsmining_url"`
	CMToken      string `json:"commsmining_token"`
	CMProject    string `json:"commsmining_project"`
	CMSource     string `json:"commsmining_source"`
	StateFile    string `json:"state_file"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simenv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the banner (sfcdc sim prints it after seeding)")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: simenv [-wait 30s] FILE (the standard output of sfcdc sim)") }
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	file := fs.Arg(0)
	line, err := awaitBanner(file, *wait)
	if err != nil {
		fmt.Fprintln(stderr, "simenv:", err)
		return exitNoBanner
	}
	var b banner
	if err := json.Unmarshal([]byte(line), &b); err != nil || b.PubSubAddr == "" {
		fmt.Fprintf(stderr, "simenv: the first line of %s is not the banner of sfcdc sim; point simenv at the file sfcdc sim's standard output went to\n", file)
		return exitNoBanner
	}
	for k, v := range map[string]string{
		"SFCDC_PUBSUB_ADDR": b.PubSubAddr, "SFCDC_CA_FILE": b.CAFile, "SFCDC_ACCESS_TOKEN": b.AccessToken,
		"SFCDC_INSTANCE_URL": b.InstanceURL, "SFCDC_TENANT_ID": b.TenantID, "SFCDC_INSECURE": fmt.Sprint(b.Insecure),
		"SFCDC_LOGIN_URL": b.LoginURL, "SFCDC_CLIENT_ID": b.ClientID, "SFCDC_CLIENT_SECRET": b.ClientSecret,
		"SFCDC_CM_URL": b.CMURL, "SFCDC_CM_TOKEN": b.CMToken, "SFCDC_CM_PROJECT": b.CMProject, "SFCDC_CM_SOURCE": b.CMSource,
		"SFCDC_SIM_STATE_FILE": b.StateFile,
	} {
		fmt.Fprintf(stdout, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", ""))
	}
	return 0
}

// awaitBanner returns the first line of file once it is complete, waiting
// up to wait: the README starts sfcdc sim in the background and runs
// simenv right after, while the simulator may still be seeding records.
func awaitBanner(file string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		line, err := firstLine(file)
		if err == nil {
			return line, nil
		}
		if os.IsNotExist(err) || time.Now().After(deadline) {
			return "", fmt.Errorf("no banner in %s after %v: %w. Is sfcdc sim running? Its errors are on its standard error; "+
				"\"address already in use\" means another sfcdc sim (or program) has its port: stop that one, or give this one "+
				"other addresses (--pubsub-addr, --rest-addr, --commsmining-addr)", file, wait, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// errNoLine: the file has no complete first line yet.
var errNoLine = fmt.Errorf("the file has no complete line")

func firstLine(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", errNoLine
	}
	return line, nil
}
