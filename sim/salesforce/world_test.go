package salesforce

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// These tests run a World of several orgs behind the shared Pub/Sub
// endpoint and the shared REST listener, over real TLS sockets.

// startTestWorld starts n orgs with seeds 1..n and closes them at cleanup.
func startTestWorld(t *testing.T, n int) *World {
	t.Helper()
	w, err := StartWorld(WorldConfig{
		Orgs:   n,
		Org:    func(i int) Config { return Config{Seed: uint64(i + 1)} },
		PubSub: PubSubConfig{CAFile: t.TempDir() + "/ca.pem"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// worldClient is a Pub/Sub client of the shared endpoint trusting the world's CA.
func worldClient(t *testing.T, w *World) eventbusv1.PubSubClient {
	t.Helper()
	creds, err := credentials.NewClientTLSFromFile(w.PubSub.CAFile(), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(w.PubSub.Addr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return eventbusv1.NewPubSubClient(conn)
}

// callAs is a context carrying the three metadata headers.
func callAs(t *testing.T, token, instanceURL, tenantID string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", token, "instanceurl", instanceURL, "tenantid", tenantID)
}

func TestWorldOrgsAreDistinct(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 3)
	seen := map[string]bool{}
	for i, s := range w.Orgs {
		app := s.REST.App()
		for _, v := range []string{s.Org.ID(), s.Org.UserID(), s.InstanceURL, app.ClientID, app.ClientSecret, app.Username, s.AccessToken} {
			if seen[v] {
				t.Errorf("org %d: %q is also another org's", i+1, v)
			}
			seen[v] = true
		}
		if s.LoginURL != w.LoginURL || s.PubSub != w.PubSub {
			t.Errorf("org %d does not share the login host and Pub/Sub endpoint", i+1)
		}
	}
	if w.LoginURL != w.Orgs[0].InstanceURL {
		t.Errorf("login URL %s, want the first org's instance %s", w.LoginURL, w.Orgs[0].InstanceURL)
	}
}

// TestWorldSubscriberSeesOnlyItsOrg: both orgs have Case change events on
// the same topic; each subscriber of the shared endpoint gets its own
// org's, and GetTopic names its own org.
func TestWorldSubscriberSeesOnlyItsOrg(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	client := worldClient(t, w)
	for i, s := range w.Orgs {
		for range i + 1 { // org 1 one case, org 2 two
			if _, err := s.Org.Create("Case", Values{"Subject": "Printer on fire"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, s := range w.Orgs {
		ctx := callAs(t, s.AccessToken, s.InstanceURL, s.Org.ID())
		info, err := client.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"})
		if err != nil {
			t.Fatalf("org %d: GetTopic: %v", i+1, err)
		}
		if info.GetTenantGuid() != s.Org.ID() {
			t.Errorf("org %d: GetTopic tenant %s, want %s", i+1, info.GetTenantGuid(), s.Org.ID())
		}
		stream, err := client.Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100}); err != nil {
			t.Fatal(err)
		}
		// Everything was appended before the subscription, so the first
		// response carries all of the org's events (at most 50 per response).
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("org %d: Recv: %v", i+1, err)
		}
		if got, want := len(resp.GetEvents()), i+1; got != want {
			t.Errorf("org %d: %d events, want its own %d", i+1, got, want)
		}
		if got, want := string(resp.GetLatestReplayId()), string(EncodeReplayID(s.Bus.Tip())); got != want {
			t.Errorf("org %d: latest replay ID is not its bus's tip", i+1)
		}
		for _, ev := range resp.GetEvents() {
			if _, ok := s.Bus.Schema(ev.GetEvent().GetSchemaId()); !ok {
				t.Errorf("org %d: event with schema %s unknown to its bus", i+1, ev.GetEvent().GetSchemaId())
			}
		}
		_ = stream.CloseSend()
	}
}

// TestWorldCrossTenantRefused: a token is good only with its own org's
// tenantid and instance URL; either form of the org ID resolves the org.
func TestWorldCrossTenantRefused(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	client := worldClient(t, w)
	a, b := w.Orgs[0], w.Orgs[1]
	cases := []struct {
		name                    string
		token, instance, tenant string
		ok                      bool
	}{
		{"own org, 18-character ID", a.AccessToken, a.InstanceURL, a.Org.ID(), true},
		{"own org, 15-character ID", b.AccessToken, b.InstanceURL, b.Org.ID()[:15], true},
		{"A's token, B's tenant and instance", a.AccessToken, b.InstanceURL, b.Org.ID(), false},
		{"A's token and instance, B's tenant", a.AccessToken, a.InstanceURL, b.Org.ID(), false},
		{"A's token and tenant, B's instance", a.AccessToken, b.InstanceURL, a.Org.ID(), false},
		{"unknown tenant", a.AccessToken, a.InstanceURL, "00D000000000001AAA", false},
		{"tenant of 16 characters", a.AccessToken, a.InstanceURL, a.Org.ID()[:16], false},
	}
	for _, c := range cases {
		ctx := callAs(t, c.token, c.instance, c.tenant)
		_, err := client.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"})
		if c.ok && err != nil {
			t.Errorf("%s: %v, want success", c.name, err)
		}
		if !c.ok && status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: %v, want UNAUTHENTICATED", c.name, err)
		}
		// Subscribe resolves the org the same way.
		stream, err := client.Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 1})
		if !c.ok {
			if _, err := stream.Recv(); status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s: Subscribe: %v, want UNAUTHENTICATED", c.name, err)
			}
		}
		_ = stream.CloseSend()
	}
}

// worldHTTP is an HTTPS client trusting the world's CA.
func worldHTTP(t *testing.T, w *World) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(w.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestWorldRESTPerInstance: each org's instance URL serves that org (its
// certificate verifies), takes only its own org's tokens, and the shared
// login host issues a token of the org whose connected app asked.
func TestWorldRESTPerInstance(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 3)
	hc := worldHTTP(t, w)
	get := func(instance, token, path string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, instance+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	third := w.Orgs[2]
	id, err := third.Org.Create("Case", Values{"Subject": "Only in org 3"})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(third.InstanceURL, third.AccessToken, "/services/data/v62.0/sobjects/Case/"+id); code != http.StatusOK || !strings.Contains(string(body), "Only in org 3") {
		t.Errorf("org 3 reading its case: %d %s", code, body)
	}
	if code, _ := get(w.Orgs[1].InstanceURL, w.Orgs[1].AccessToken, "/services/data/v62.0/sobjects/Case/"+id); code != http.StatusNotFound {
		t.Errorf("org 2 reading org 3's case: %d, want 404", code)
	}
	if code, _ := get(third.InstanceURL, w.Orgs[0].AccessToken, "/services/data/v62.0/limits"); code != http.StatusUnauthorized {
		t.Errorf("org 1's token at org 3's instance: %d, want 401", code)
	}

	// Client credentials at the shared login host, as org 2's app.
	second := w.Orgs[1]
	app := second.REST.App()
	resp, err := hc.PostForm(w.LoginURL+"/services/oauth2/token", url.Values{
		"grant_type": {GrantClientCredentials}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	if tok.InstanceURL != second.InstanceURL || !second.Tokens.Valid(tok.AccessToken) || w.Orgs[0].Tokens.Valid(tok.AccessToken) {
		t.Errorf("login host issued instance %s (want %s), valid in org 2: %v, in org 1: %v", tok.InstanceURL, second.InstanceURL,
			second.Tokens.Valid(tok.AccessToken), w.Orgs[0].Tokens.Valid(tok.AccessToken))
	}
	if code, body := get(w.LoginURL, tok.AccessToken, "/services/oauth2/userinfo"); code != http.StatusOK || !strings.Contains(string(body), second.Org.ID()) {
		t.Errorf("userinfo at the login host with org 2's token: %d %s", code, body)
	}
	// Org 2's secret with org 3's client ID is refused.
	resp2, err := hc.PostForm(w.LoginURL+"/services/oauth2/token", url.Values{
		"grant_type": {GrantClientCredentials}, "client_id": {third.REST.App().ClientID}, "client_secret": {app.ClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest {
		t.Errorf("mixed client ID and secret: %d, want 400", resp2.StatusCode)
	}
}

// TestWorldWebServerFlowAtTheLoginHost: the authorize page, the approval
// form and the code exchange at the shared login host all reach the org
// whose connected app started the login, and the token is that org's.
func TestWorldWebServerFlowAtTheLoginHost(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	hc := worldHTTP(t, w)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	second := w.Orgs[1]
	app := second.REST.App()
	const callback = "http://localhost:18080/oauth2/callback"
	page, err := hc.Get(w.LoginURL + "/services/oauth2/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {callback}, "state": {"s1"}, "scope": {"api refresh_token"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindSubmatch(html)
	if page.StatusCode != http.StatusOK || m == nil || !strings.Contains(string(html), second.Org.ID()) {
		t.Fatalf("approval page %d for org %s: %s", page.StatusCode, second.Org.ID(), html)
	}
	decided, err := hc.PostForm(w.LoginURL+"/services/oauth2/authorize", url.Values{
		"request": {string(m[1])}, "client_id": {app.ClientID}, "decision": {"allow"},
	})
	if err != nil {
		t.Fatal(err)
	}
	decided.Body.Close()
	back, err := url.Parse(decided.Header.Get("Location"))
	if err != nil || decided.StatusCode != http.StatusFound || back.Query().Get("code") == "" {
		t.Fatalf("approval answered %d, Location %q", decided.StatusCode, decided.Header.Get("Location"))
	}
	resp, err := hc.PostForm(w.LoginURL+"/services/oauth2/token", url.Values{
		"grant_type": {GrantAuthorizationCode}, "code": {back.Query().Get("code")}, "redirect_uri": {callback},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("code exchange: %d %v", resp.StatusCode, err)
	}
	if tok.InstanceURL != second.InstanceURL || !second.Tokens.Valid(tok.AccessToken) || tok.RefreshToken == "" {
		t.Errorf("token of instance %s (want %s), valid in org 2: %v, refresh token %t", tok.InstanceURL, second.InstanceURL,
			second.Tokens.Valid(tok.AccessToken), tok.RefreshToken != "")
	}
}

// TestWorldFaultsStayInTheirOrg: a stream fault set in org 1 cuts org 1's
// streams only; org 2's subscriber on the same endpoint gets all its events.
func TestWorldFaultsStayInTheirOrg(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	client := worldClient(t, w)
	for _, s := range w.Orgs {
		for range 2 {
			if _, err := s.Org.Create("Case", Values{"Subject": "Printer on fire"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Orgs[0].Faults.Set(FaultSettings{EndStreamAfterEvents: 1})
	for i, s := range w.Orgs {
		stream, err := client.Subscribe(callAs(t, s.AccessToken, s.InstanceURL, s.Org.ID()))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/CaseChangeEvent", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: 100}); err != nil {
			t.Fatal(err)
		}
		received := 0
		var end error
		for received < 2 && end == nil {
			resp, err := stream.Recv()
			received += len(resp.GetEvents())
			end = err
		}
		switch {
		case i == 0 && (received != 1 || status.Code(end) != codes.Unavailable):
			t.Errorf("org 1 (fault set): %d events then %v, want 1 then UNAVAILABLE", received, end)
		case i == 1 && (received != 2 || end != nil):
			t.Errorf("org 2 (no fault): %d events then %v, want its 2", received, end)
		}
		_ = stream.CloseSend()
	}
}
