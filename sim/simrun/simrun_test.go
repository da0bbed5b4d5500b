package simrun

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// loopback is a world on free loopback ports, plaintext, without traffic.
func loopback() Config {
	return Config{PubSubAddr: "127.0.0.1:0", RESTAddr: "127.0.0.1:0", CMAddr: "127.0.0.1:0", CMSource: "p/s", Insecure: true, Seed: 1}
}

func start(t *testing.T, c Config) *Running {
	t.Helper()
	r, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func admin(t *testing.T, r *Running, method, path string) (st TrafficStatus) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.Banner.CommsMiningURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return st
}

func TestTheBannerHoldsEveryEndpointAndTheOrgsCredentials(t *testing.T) {
	r := start(t, loopback())
	b := r.Banner
	for name, v := range map[string]string{"pubsub_addr": b.PubSubAddr, "access_token": b.AccessToken, "instance_url": b.InstanceURL,
		"tenant_id": b.TenantID, "state_file": b.StateFile, "login_url": b.LoginURL, "client_id": b.ClientID,
		"commsmining_url": b.CommsMiningURL, "commsmining_token": b.CommsMiningToken} {
		if v == "" {
			t.Errorf("%s is empty", name)
		}
	}
	if !b.Insecure || b.CommsMiningProject != "p" || b.CommsMiningSource != "s" || len(b.Topics) == 0 {
		t.Fatalf("banner %+v", b)
	}
}

func TestGenerateMakesExactlyTheAskedEventsThenReportsDone(t *testing.T) {
	c := loopback()
	c.Events = 250
	r := start(t, c)
	n, err := r.Generate(t.Context())
	if err != nil || n != 250 {
		t.Fatalf("generated %d (%v), want 250", n, err)
	}
	if st := admin(t, r, "GET", "/_sim/traffic"); st.State != TrafficDone || st.Generated != 250 {
		t.Fatalf("traffic %+v, want done with 250", st)
	}
}

func TestTheTrafficPausesAndResumesThroughTheAdminEndpoints(t *testing.T) {
	c := loopback()
	c.Rate = 200
	r := start(t, c)
	if _, err := r.Generate(t.Context()); err != nil {
		t.Fatal(err)
	}
	paused := admin(t, r, "POST", "/_sim/traffic/pause")
	if paused.State != TrafficPaused {
		t.Fatalf("after pause: %+v", paused)
	}
	time.Sleep(200 * time.Millisecond)
	if st := admin(t, r, "GET", "/_sim/traffic"); st.Generated != paused.Generated {
		t.Fatalf("generated %d events while paused", st.Generated-paused.Generated)
	}
	if st := admin(t, r, "POST", "/_sim/traffic/resume"); st.State != TrafficRunning {
		t.Fatalf("after resume: %+v", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for admin(t, r, "GET", "/_sim/traffic").Generated == paused.Generated {
		if time.Now().After(deadline) {
			t.Fatal("no event generated within 10 s of the resume")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSeededRecordsAreThereWhenStartReturns(t *testing.T) {
	c := loopback()
	c.SeedRecords, c.SeedObject = 120, "CaseComment"
	r := start(t, c)
	if n := r.Sim.Org.Count("CaseComment"); n != 120 {
		t.Fatalf("%d case comments, want 120", n)
	}
}

func TestAConfigThatCannotWorkIsRefusedAsErrConfig(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"unknown seed object":    func(c *Config) { c.SeedRecords, c.SeedObject = 5, "Opportunity" },
		"source without project": func(c *Config) { c.CMSource = "nosource" },
	} {
		c := loopback()
		change(&c)
		if _, err := Start(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestACMFaultHitsItsEndpointAndTheAdminEndpointsStillAnswer(t *testing.T) {
	c := loopback()
	c.CMFault = CMFault{Status: 503, Times: 1}
	r := start(t, c)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", r.Banner.CommsMiningURL+"/api/v1/sources/p/s/sync",
		strings.NewReader(`{"comments":[]}`))
	req.Header.Set("Authorization", "Bearer "+r.Banner.CommsMiningToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("the first sync answered %d, want the injected 503", resp.StatusCode)
	}
	if st := admin(t, r, "GET", "/_sim/traffic"); st.State != TrafficOff {
		t.Fatalf("traffic %+v, want off (no rate, no events)", st)
	}
}

func TestCloseRemovesTheRunsFolder(t *testing.T) {
	c := loopback()
	c.Insecure = false
	r, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.Banner.CAFile); err != nil {
		t.Fatalf("the CA file: %v", err)
	}
	r.Close()
	if _, err := os.Stat(r.runDir); !os.IsNotExist(err) {
		t.Fatalf("the run's folder is still there: %v", err)
	}
}
