// Command simenv prints shell exports for the connection settings in the
// first line `sfcdc sim` writes, so `eval "$(go run ./scripts/simenv FILE)"`
// points `sfcdc subscribe` at the simulator.

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: simenv FILE (the output of sfcdc sim)")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "simenv:", err)
		os.Exit(1)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(os.Stderr, "simenv: no banner line yet; is sfcdc sim running?")
		os.Exit(1)
	}
	var b struct {
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
	}
	if err := json.Unmarshal([]byte(line), &b); err != nil {
		fmt.Fprintln(os.Stderr, "simenv: the first line is not the sim banner:", err)
		os.Exit(1)
	}
	for k, v := range map[string]string{
		"SFCDC_PUBSUB_ADDR": b.PubSubAddr, "SFCDC_CA_FILE": b.CAFile, "SFCDC_ACCESS_TOKEN": b.AccessToken,
		"SFCDC_INSTANCE_URL": b.InstanceURL, "SFCDC_TENANT_ID": b.TenantID, "SFCDC_INSECURE": fmt.Sprint(b.Insecure),
		"SFCDC_LOGIN_URL": b.LoginURL, "SFCDC_CLIENT_ID": b.ClientID, "SFCDC_CLIENT_SECRET": b.ClientSecret,
		"SFCDC_CM_URL": b.CMURL, "SFCDC_CM_TOKEN": b.CMToken, "SFCDC_CM_PROJECT": b.CMProject, "SFCDC_CM_SOURCE": b.CMSource,
	} {
		fmt.Printf("export %s='%s'\n", k, strings.ReplaceAll(v, "'", ""))
	}
}
