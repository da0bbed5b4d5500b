package serve_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
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

// An integration that signs in with the hosted web-server flow, served by
// `sfcdc serve` with a public URL: it waits in pending_auth (the reason
// names its authenticate link) without failing or being disabled; the
// admin approves through the pages the instance serves; it streams with
// the grant from the store and its cases reach CM; when Salesforce then
// refuses the grant it waits in needs_reauth, again without a retry storm.
func TestAHostedIntegrationWaitsForItsAuthorisationThenStreams(t *testing.T) {
	t.Parallel()
	listen := freeAddr(t)
	public := "http://" + listen
	w := simworld.New(t, simworld.Options{Seed: 21, Project: "acme", Source: "support", Store: simworld.Redis,
		Org: func(c *sfsim.SimConfig) {
			c.REST.App = sfsim.ConnectedApp{RotateRefreshTokens: true, CallbackURLs: []string{public + onboard.CallbackPath}}
		}})
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	app := w.Sim.REST.App()
	host, _ := url.Parse(w.Sim.InstanceURL)
	spec := integration.Spec{
		Name: "acme/support",
		Salesforce: integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
			Auth: integration.Auth{Flow: "web_server", LoginURL: w.Sim.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
				TrustedHosts: []string{host.Host}}},
		CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: "support",
			Linger: 10 * time.Millisecond},
		Objects: []mapper.ObjectMapping{{Object: "Case"}},
		Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second},
	}
	reg := registry.New(w.Store, keys)
	if _, err := reg.Apply(t.Context(), []integration.Spec{spec}); err != nil {
		t.Fatal(err)
	}
	hook := newWebhook(t, "CANARY-webhook-secret-77ab")
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "solo", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond,
			Listen: listen, PublicURL: public, DisableAfter: time.Second, WebhookURL: notify.WebhookURL(hook.server.URL + "/hooks/sfcdc"),
			WebhookSecret: "CANARY-webhook-secret-77ab"}, serve.Deps{Store: w.Store, Keys: keys, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	}()
	t.Cleanup(func() { cancel(); <-done })

	stateIs := func(want string) func() bool {
		return func() bool {
			views, err := serve.ReadOverview(t.Context(), reg, w.Store)
			return err == nil && len(views) == 1 && views[0].State == want
		}
	}
	simworld.Eventually(t, "the integration to wait in pending_auth", stateIs(serve.StatePendingAuth))
	views, _ := serve.ReadOverview(t.Context(), reg, w.Store)
	if !strings.Contains(views[0].Reason, public+"/integrations/acme/support/oauth2/authenticate") {
		t.Fatalf("pending_auth reason %q does not give the authenticate link", views[0].Reason)
	}
	// The operator console on the same (loopback) listener shows it
	// waiting, with the link to send; so does its JSON.
	page := get(t, public+"/", http.StatusOK)
	if !strings.Contains(page, "acme/support") || !strings.Contains(page, serve.StatePendingAuth) ||
		!strings.Contains(page, `href="`+public+`/integrations/acme/support/oauth2/authenticate"`) {
		t.Fatalf("the console does not show the integration waiting with its link:\n%s", page)
	}
	if js := get(t, public+"/api/v1/integrations", http.StatusOK); !strings.Contains(js, `"state": "pending_auth"`) {
		t.Fatalf("the console's JSON:\n%s", js)
	}
	time.Sleep(1500 * time.Millisecond) // past DisableAfter: waiting for a person is no failure
	if in, _ := reg.Get(t.Context(), "acme/support"); !in.Enabled {
		t.Fatalf("the integration waiting for its authorisation was disabled: %+v", in.Disabled)
	}

	approve(t, public+"/integrations/acme/support/oauth2/authenticate")
	simworld.Eventually(t, "the integration to stream after its authorisation", stateIs(serve.StateStreaming))
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Authorised at last", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the case in CM", func() bool { return w.CMHas("Case", id) })
	vault := custody.NewVault(w.Store, keys)
	first, err := vault.Load(t.Context(), "acme/support")
	if err != nil {
		t.Fatal(err)
	}
	one := get(t, public+"/integrations/acme/support", http.StatusOK)
	if !strings.Contains(one, "/data/CaseChangeEvent") || !strings.Contains(one, "<h1>acme/support</h1>") {
		t.Fatalf("the integration's console page lacks its topic:\n%s", one)
	}
	for _, secret := range []string{app.ClientSecret, w.CM.Token()} {
		if strings.Contains(page+one, secret) {
			t.Fatal("a secret is on a console page")
		}
	}

	// Salesforce ends the grant (an admin revoked the app's tokens): the
	// next refresh is refused and the integration waits for a new
	// authorisation; it is not disabled.
	w.Sim.REST.RevokeRefreshTokens()
	if _, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "After the revocation", "Status": "New", "Origin": "Email"}); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the integration to wait in needs_reauth", stateIs(serve.StateNeedsReauth))
	views, _ = serve.ReadOverview(t.Context(), reg, w.Store)
	if !strings.Contains(views[0].Reason, "invalid_grant") || !strings.Contains(views[0].Reason, "/oauth2/authenticate") {
		t.Fatalf("needs_reauth reason %q: want Salesforce's refusal and the authenticate link", views[0].Reason)
	}
	if in, _ := reg.Get(t.Context(), "acme/support"); !in.Enabled {
		t.Fatalf("the integration waiting for a new authorisation was disabled: %+v", in.Disabled)
	}
	simworld.Eventually(t, "the signed needs_reauth notification", func() bool { return len(hook.received()) >= 1 })
	if e := hook.received()[0]; e.State != "needs_reauth" || e.Previous != serve.StateStreaming || e.Integration != "acme/support" ||
		e.AuthenticateURL != public+"/integrations/acme/support/oauth2/authenticate" || !strings.Contains(e.Reason, "invalid_grant") {
		t.Fatalf("the webhook got %+v", e)
	}
	// Authorised again: it streams, and the webhook hears the recovery.
	approve(t, public+"/integrations/acme/support/oauth2/authenticate")
	simworld.Eventually(t, "the integration to stream again", stateIs(serve.StateStreaming))
	simworld.Eventually(t, "the signed recovery notification", func() bool { return len(hook.received()) >= 2 })
	if e := hook.received()[1]; e.State != "active" || e.Previous != "needs_reauth" {
		t.Fatalf("the webhook's second notification %+v; want the recovery", e)
	}
	if n := len(hook.received()); n != 2 || hook.badSignatures() != 0 {
		t.Fatalf("%d notifications (%d badly signed); want exactly the two", n, hook.badSignatures())
	}

	second, err := vault.Load(t.Context(), "acme/support")
	if err != nil {
		t.Fatal(err)
	}
	// No token, secret or code in anything the service emitted: its log,
	// /metrics, the console's pages and JSON, the webhook's bodies, and no
	// plaintext in Redis.
	secrets := map[string]string{"client secret": app.ClientSecret, "CM token": w.CM.Token(), "webhook secret": "CANARY-webhook-secret-77ab",
		"first refresh token": first.RefreshToken.Reveal(), "first access token": first.AccessToken.Reveal(),
		"second refresh token": second.RefreshToken.Reveal(), "second access token": second.AccessToken.Reveal()}
	emitted := map[string]string{"log": logs.String(), "/metrics": get(t, public+"/metrics", http.StatusOK),
		"console":        get(t, public+"/", http.StatusOK) + get(t, public+"/integrations/acme/support", http.StatusOK) + get(t, public+"/api/v1/integrations", http.StatusOK),
		"webhook bodies": hook.bodies(), "Redis": dumpRedis(t, w)}
	for what, secret := range secrets {
		for where, text := range emitted {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("the %s is in %s", what, where)
			}
		}
	}
	if !strings.Contains(emitted["log"], "the integration was authorised") {
		t.Fatal("the captured log is not serve's: the canary saw nothing")
	}

	// Deleting the integration destroys its stored grant.
	var out bytes.Buffer
	if err := serve.NewAdmin(w.Store, keys).Delete(t.Context(), "acme/support", false, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "destroyed  its stored grant") {
		t.Fatalf("delete said:\n%s", out.String())
	}
	if _, err := custody.NewVault(w.Store, keys).Load(t.Context(), "acme/support"); !errors.Is(err, custody.ErrNoGrant) {
		t.Fatalf("the grant after delete: %v", err)
	}
}

// approve opens an authenticate link and clicks Allow on the simulated
// Salesforce page, as the customer's admin would.
func approve(t *testing.T, link string) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the authenticate link led to %d, not the approval page:\n%s", resp.StatusCode, page)
	}
	resp, err = client.PostForm(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/services/oauth2/authorize",
		url.Values{"request": {m[1]}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "The integration is set up") {
		t.Fatalf("Allow landed on %d:\n%s", resp.StatusCode, page)
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var _ = context.Background

// get fetches a page and checks its status.
func get(t *testing.T, u string, want int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", u, resp.StatusCode, want, body)
	}
	return body
}

// webhook is a receiver of sfcdc's notifications that checks each
// signature.
type webhook struct {
	server *httptest.Server
	secret string
	mu     sync.Mutex
	events []notify.Event
	raw    []string
	bad    int
}

func (h *webhook) bodies() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.raw, "\n")
}

// lockedBuffer collects a logger's lines from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dumpRedis is every value under the world's key prefix, as text.
func dumpRedis(t *testing.T, w *simworld.World) string {
	t.Helper()
	var out strings.Builder
	iter := w.Redis.Scan(t.Context(), 0, w.KeyPrefix+"*", 200).Iterator()
	n := 0
	for iter.Next(t.Context()) {
		if dump, err := w.Redis.Dump(t.Context(), iter.Val()).Result(); err == nil {
			out.WriteString(iter.Val() + " " + dump + "\n")
			n++
		}
	}
	if n == 0 {
		t.Fatal("no Redis key under the world's prefix: the canary saw nothing")
	}
	return out.String()
}

func newWebhook(t *testing.T, secret string) *webhook {
	h := &webhook{secret: secret}
	h.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(h.secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		h.mu.Lock()
		defer h.mu.Unlock()
		if !hmac.Equal([]byte(r.Header.Get(notify.SignatureHeader)), []byte(want)) {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.raw = append(h.raw, string(body))
		var e notify.Event
		if json.Unmarshal(body, &e) == nil {
			h.events = append(h.events, e)
		}
	}))
	t.Cleanup(h.server.Close)
	return h
}

func (h *webhook) received() []notify.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notify.Event(nil), h.events...)
}

func (h *webhook) badSignatures() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bad
}
