package simrun

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestManyOrgsShareTheEndpointsEachWithItsOwnTraffic: a world of three
// orgs has one Pub/Sub endpoint and login host, a banner whose top keys
// are the first org's and whose orgs list all three with their own
// tenant, instance, session and connected app, and Events generates that
// many events in every org.
func TestManyOrgsShareTheEndpointsEachWithItsOwnTraffic(t *testing.T) {
	t.Parallel()
	c := loopback()
	c.Orgs, c.Events = 3, 20
	r := start(t, c)
	b := r.Banner
	if len(b.Orgs) != 3 || len(r.Orgs) != 3 || r.World == nil {
		t.Fatalf("%d orgs in the banner, %d running, want 3", len(b.Orgs), len(r.Orgs))
	}
	first := b.Orgs[0]
	if first.TenantID != b.TenantID || first.InstanceURL != b.InstanceURL || first.AccessToken != b.AccessToken ||
		first.ClientID != b.ClientID || first.ClientSecret != b.ClientSecret {
		t.Errorf("the banner's keys %+v are not the first org's %+v", b, first)
	}
	seen := map[string]bool{}
	for i, o := range b.Orgs {
		for name, v := range map[string]string{"tenant_id": o.TenantID, "instance_url": o.InstanceURL, "access_token": o.AccessToken,
			"client_id": o.ClientID, "client_secret": o.ClientSecret, "username": o.Username} {
			if v == "" || seen[v] {
				t.Errorf("org %d: %s %q is empty or another org's", i+1, name, v)
			}
			seen[v] = true
		}
		if s := r.Orgs[i]; s.PubSub.Addr() != b.PubSubAddr || s.LoginURL != b.LoginURL {
			t.Errorf("org %d does not share the Pub/Sub endpoint and the login host", i+1)
		}
	}
	line, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Orgs []map[string]string `json:"orgs"`
	}
	if err := json.Unmarshal(line, &doc); err != nil || len(doc.Orgs) != 3 || len(doc.Orgs[2]) != 6 {
		t.Errorf("banner line orgs %v (%v), want 3 of 6 keys", doc.Orgs, err)
	}

	n, err := r.Generate(t.Context())
	if err != nil || n != 3*c.Events {
		t.Fatalf("generated %d (%v), want %d", n, err, 3*c.Events)
	}
	for i, s := range r.Orgs {
		events, _ := s.Bus.ReadAfter(s.Bus.StartEarliest(), func(string) bool { return true }, 1000, 1<<30)
		if len(events) != c.Events {
			t.Errorf("org %d: %d events on its bus, want %d", i+1, len(events), c.Events)
		}
	}
}

func TestTheStatsOfOneSourceAndOfAMissingOne(t *testing.T) {
	t.Parallel()
	r := start(t, loopback())
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(r.Banner.CommsMiningURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := get("/_sim/stats/p/s"); code != http.StatusOK || body["SyncRequests"] != float64(0) {
		t.Errorf("stats of p/s: %d %v", code, body)
	}
	if code, body := get("/_sim/stats/p/nosuch"); code != http.StatusNotFound || body["status"] != "error" {
		t.Errorf("stats of a missing source: %d %v, want 404 with CM's error body", code, body)
	}
	if _, body := get("/_sim/stats"); body["Sources"] == nil {
		t.Errorf("/_sim/stats has no Sources: %v", body)
	}
}

// The OAuth settings a customer's app may have apply to every org:
// refresh token rotation, and the session timeout that ends an access
// token nobody used for that long.
func TestRotationAndTheIdleTimeoutApplyToEveryOrg(t *testing.T) {
	t.Parallel()
	c := loopback()
	c.Orgs, c.RotateRefreshTokens, c.TokenIdleTimeout = 2, true, 300*time.Millisecond
	r := start(t, c)
	for i, org := range r.Orgs {
		if !org.REST.App().RotateRefreshTokens {
			t.Errorf("org %d's app does not rotate refresh tokens", i)
		}
	}
	call := func(org OrgBanner) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, org.InstanceURL+"/services/data/v62.0/limits", nil)
		req.Header.Set("Authorization", "Bearer "+org.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, org := range r.Banner.Orgs {
		if got := call(org); got != http.StatusOK {
			t.Fatalf("a fresh token answered %d", got)
		}
	}
	time.Sleep(700 * time.Millisecond) // past the idle timeout, no call in between
	for _, org := range r.Banner.Orgs {
		if got := call(org); got != http.StatusUnauthorized {
			t.Fatalf("a token idle past the timeout answered %d; want 401", got)
		}
	}
}
