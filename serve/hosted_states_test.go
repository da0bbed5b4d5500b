package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/onboard"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// The documented states of a hosted integration (issue 17's acceptance):
// Salesforce's concurrent-refresh error is retried, the integration stays
// streaming and nobody is notified; a sixth approval of the same app by
// the same user evicts the integration's grant, which puts it in
// needs_reauth with the likely cause and a signed notification, and
// authorising it again brings it back with a signed recovery.

// TestAConcurrentRefreshIsRetriedAndTheIntegrationStaysStreaming: another
// party refreshes the integration's grant (a second deployment, a script
// with a copy of the token) and Salesforce holds that refresh in flight;
// the integration's own refresh meanwhile is answered "token request is
// already being processed", which it retries with backoff until the other
// refresh ends. (Refresh token rotation is off here: with it on, the other
// party's refresh would kill the token the integration holds, which is
// the grant's end, not this error.)
func TestAConcurrentRefreshIsRetriedAndTheIntegrationStaysStreaming(t *testing.T) {
	t.Parallel()
	h := startHosted(t, 51, false)
	h.authorise(t)
	h.caseInCM(t, "Before the overlap")

	g, err := h.vault.Load(t.Context(), hostedName)
	if err != nil {
		t.Fatal(err)
	}
	hold := h.w.Sim.REST.HoldRefreshes()
	defer hold.Release()
	other := make(chan int, 1)
	go func() {
		// Not t.Fatal: this goroutine is not the test's.
		resp, err := http.PostForm(h.w.Sim.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {g.RefreshToken.Reveal()}, "client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}})
		if err != nil {
			other <- 0
			return
		}
		resp.Body.Close()
		other <- resp.StatusCode
	}()
	<-hold.Arrived()

	// Watch the integration's state from here on: it must never leave
	// streaming.
	seen := h.watchStates(t)
	refusals := h.w.Sim.REST.OAuthCounts().InFlightRefusals
	h.w.Sim.Tokens.RevokeAll() // the access token ends: the next call refreshes
	id := h.newCase(t, "During the overlap")
	simworld.Eventually(t, "the integration's refresh refused as already being processed", func() bool {
		return h.w.Sim.REST.OAuthCounts().InFlightRefusals > refusals
	})
	hold.Release()
	if code := <-other; code != http.StatusOK {
		t.Fatalf("the other party's refresh answered %d", code)
	}
	simworld.Eventually(t, "the case created during the overlap in CM", func() bool { return h.w.CMHas("Case", id) })
	states := seen()
	if len(states) != 1 || states[0] != serve.StateStreaming {
		t.Fatalf("the integration went through %v; want streaming throughout", states)
	}
	if g, err := h.vault.Load(t.Context(), hostedName); err != nil || g.NeedsReauth != "" {
		t.Fatalf("the grant after the overlap: needs_reauth %q, %v", g.NeedsReauth, err)
	}
	if n := len(h.hook.received()); n != 0 || h.hook.badSignatures() != 0 {
		t.Fatalf("%d notifications for a retried refresh; want none", n)
	}
	if strings.Contains(h.logs.String(), g.RefreshToken.Reveal()) {
		t.Fatal("the refresh token is in the log")
	}
}

// TestASixthApprovalEvictsTheGrantThenReauthorisingRecovers: the
// integration user approves the same connected app five more times (other
// tools, other deployments); Salesforce keeps five approvals per user and
// app, so the oldest, the integration's, is revoked. Its next refresh is
// refused: needs_reauth, the reason naming the likely causes, a signed
// webhook; authorised again through its link, it streams and the webhook
// hears the recovery.
func TestASixthApprovalEvictsTheGrantThenReauthorisingRecovers(t *testing.T) {
	t.Parallel()
	h := startHosted(t, 52, true)
	h.authorise(t)
	h.caseInCM(t, "Before the evictions")

	evictions := h.w.Sim.REST.OAuthCounts().Evictions
	for range sfsim.MaxApprovals {
		h.approveElsewhere(t)
	}
	if got := h.w.Sim.REST.OAuthCounts().Evictions; got != evictions+1 {
		t.Fatalf("%d evictions after five more approvals; want %d (the integration's grant)", got, evictions+1)
	}
	h.newCase(t, "After the evictions") // its fetch finds the access token revoked with the grant
	simworld.Eventually(t, "the integration in needs_reauth", h.stateIs(serve.StateNeedsReauth))
	simworld.Eventually(t, "the signed needs_reauth notification", func() bool { return len(h.hook.received()) >= 1 })
	e := h.hook.received()[0]
	if e.State != serve.StateNeedsReauth || e.Previous != serve.StateStreaming || e.Integration != hostedName ||
		e.AuthenticateURL != h.link() || !strings.Contains(e.Reason, "invalid_grant") || !strings.Contains(e.Reason, "sixth approval") {
		t.Fatalf("the webhook got %+v; want needs_reauth from streaming with the link and the likely cause", e)
	}
	views, _ := serve.ReadOverview(t.Context(), h.reg, h.w.Store)
	if len(views) != 1 || !strings.Contains(views[0].Reason, "sixth approval") {
		t.Fatalf("the overview's reason %+v does not name the likely cause", views)
	}
	if in, _ := h.reg.Get(t.Context(), hostedName); !in.Enabled {
		t.Fatalf("the integration waiting for a new authorisation was disabled: %+v", in.Disabled)
	}

	approve(t, h.link())
	simworld.Eventually(t, "the integration streaming again", h.stateIs(serve.StateStreaming))
	simworld.Eventually(t, "the signed recovery notification", func() bool { return len(h.hook.received()) >= 2 })
	if e := h.hook.received()[1]; e.State != "active" || e.Previous != serve.StateNeedsReauth || e.Integration != hostedName {
		t.Fatalf("the webhook's second notification %+v; want the recovery from needs_reauth", e)
	}
	h.caseInCM(t, "After the new authorisation")
	if n := len(h.hook.received()); n != 2 || h.hook.badSignatures() != 0 {
		t.Fatalf("%d notifications (%d badly signed); want exactly the two", n, h.hook.badSignatures())
	}
}

const hostedName = "acme/support"

// hosted is one `sfcdc serve` instance with a public URL and a signed
// webhook, serving one integration that signs in with the hosted flow.
type hosted struct {
	w      *simworld.World
	app    sfsim.ConnectedApp
	reg    *registry.Registry
	vault  *custody.Vault
	hook   *webhook
	logs   *lockedBuffer
	public string
}

func startHosted(t *testing.T, seed uint64, rotate bool) *hosted {
	t.Helper()
	listen := freeAddr(t)
	h := &hosted{public: "http://" + listen, logs: &lockedBuffer{}}
	h.w = simworld.New(t, simworld.Options{Seed: seed, Project: "acme", Source: "support", Store: simworld.Redis,
		Org: func(c *sfsim.SimConfig) {
			c.REST.App = sfsim.ConnectedApp{RotateRefreshTokens: rotate, CallbackURLs: []string{h.public + onboard.CallbackPath}}
		}})
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	h.app = h.w.Sim.REST.App()
	host, _ := url.Parse(h.w.Sim.InstanceURL)
	h.reg = registry.New(h.w.Store, keys)
	h.vault = custody.NewVault(h.w.Store, keys)
	if _, err := h.reg.Apply(t.Context(), []integration.Spec{{
		Name: hostedName,
		Salesforce: integration.Salesforce{PubSubEndpoint: h.w.Sim.PubSub.Addr(), Insecure: true,
			Auth: integration.Auth{Flow: "web_server", LoginURL: h.w.Sim.LoginURL, ClientID: h.app.ClientID, ClientSecret: h.app.ClientSecret,
				TrustedHosts: []string{host.Host}}},
		CommsMining: uploader.Config{BaseURL: h.w.CM.URL(), Token: uploader.Secret(h.w.CM.Token()), Project: "acme", Source: "support",
			Linger: 10 * time.Millisecond},
		Objects: []mapper.ObjectMapping{{Object: "Case"}},
		Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second},
	}}); err != nil {
		t.Fatal(err)
	}
	const secret = "CANARY-webhook-secret-9e41"
	h.hook = newWebhook(t, secret)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "solo", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond,
			Listen: listen, PublicURL: h.public, DisableAfter: time.Second, WebhookURL: notify.WebhookURL(h.hook.server.URL + "/hooks/sfcdc"),
			WebhookSecret: secret}, serve.Deps{Store: h.w.Store, Keys: keys,
			Logger: slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	}()
	t.Cleanup(func() { cancel(); <-done })
	simworld.Eventually(t, "the integration to wait in pending_auth", h.stateIs(serve.StatePendingAuth))
	return h
}

func (h *hosted) link() string {
	return h.public + "/integrations/" + hostedName + "/oauth2/authenticate"
}

// authorise approves the integration through its link and waits for it
// to stream.
func (h *hosted) authorise(t *testing.T) {
	t.Helper()
	approve(t, h.link())
	simworld.Eventually(t, "the integration to stream", h.stateIs(serve.StateStreaming))
}

func (h *hosted) stateIs(want string) func() bool {
	return func() bool {
		views, err := serve.ReadOverview(context.Background(), h.reg, h.w.Store)
		return err == nil && len(views) == 1 && views[0].State == want
	}
}

func (h *hosted) newCase(t *testing.T, subject string) string {
	t.Helper()
	id, err := h.w.Sim.Org.Create("Case", sfsim.Values{"Subject": subject, "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// caseInCM creates a case and waits for its comment in CM.
func (h *hosted) caseInCM(t *testing.T, subject string) {
	t.Helper()
	id := h.newCase(t, subject)
	simworld.Eventually(t, "the case "+subject+" in CM", func() bool { return h.w.CMHas("Case", id) })
}

// watchStates samples the integration's state until the returned func is
// called, which returns the distinct states seen, in order.
func (h *hosted) watchStates(t *testing.T) func() []string {
	var (
		mu   sync.Mutex
		seen []string
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if views, err := serve.ReadOverview(ctx, h.reg, h.w.Store); err == nil && len(views) == 1 {
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != views[0].State {
					seen = append(seen, views[0].State)
				}
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	stop := func() []string {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	t.Cleanup(func() { stop() })
	return stop
}

// approveElsewhere is the integration user approving the same connected
// app for another client (the web-server flow to the same registered
// callback, the code exchanged by that client, not by sfcdc): one more
// approval of the app by the user.
func (h *hosted) approveElsewhere(t *testing.T) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	callback := h.public + onboard.CallbackPath
	resp, err := client.Get(h.w.Sim.LoginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"},
		"client_id": {h.app.ClientID}, "redirect_uri": {callback}, "scope": {"api refresh_token"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("authorize answered %d without the approval form:\n%s", resp.StatusCode, page)
	}
	resp, err = client.PostForm(h.w.Sim.LoginURL+"/services/oauth2/authorize", url.Values{"request": {m[1]}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("Allow answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.PostForm(h.w.Sim.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {back.Query().Get("code")}, "redirect_uri": {callback}, "client_id": {h.app.ClientID}, "client_secret": {h.app.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "refresh_token") {
		t.Fatalf("the code exchange answered %d", resp.StatusCode)
	}
}
