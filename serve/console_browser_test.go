package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/internal/browsertest"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// The operator console in a real browser (issue 17): headless Chromium
// opens the console of a running `sfcdc serve` whose integrations are in
// every state an operator meets (streaming, waiting for its first
// authorisation, waiting for a new one, disabled, failing); without the
// admin token it shows nothing; with it, the table gives each
// integration's state and reason (and the authenticate link of the two
// waiting for a person), and the link to one integration leads to its
// page with its topics. Both pages pass the accessibility checks and fit
// a phone's screen; screenshots go under $SFCDC_TEST_ARTIFACTS/console.
func TestTheConsoleInABrowser(t *testing.T) {
	t.Parallel()
	const adminToken = "CANARY-console-admin-token-31c7"
	c := startConsoleDeployment(t, adminToken)
	browser := browsertest.Start(t)

	t.Run("WithoutTheAdminTokenNothingIsShown", func(t *testing.T) {
		b := browsertest.NewTab(t, browser, "console")
		b.AnswerLogins("", "") // the operator dismisses the browser's login prompt
		for _, path := range []string{"/", "/integrations/acme/streaming", "/api/v1/integrations"} {
			resp, err := chromedp.RunResponse(b.Ctx, chromedp.Navigate(c.public+path))
			if err != nil {
				t.Fatalf("opening %s: %v", path, err)
			}
			text, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusUnauthorized || strings.Contains(text, "acme/") || strings.Contains(text, adminToken) {
				t.Fatalf("%s without the admin token: %d\n%s", path, resp.Status, text)
			}
		}
	})

	t.Run("TheTokenAsThePasswordTheBrowserAsksFor", func(t *testing.T) {
		b := browsertest.NewTab(t, browser, "console")
		b.AnswerLogins("operator", adminToken)
		status, text := b.Open(c.public+"/", "")
		if status != http.StatusOK || !strings.Contains(text, "acme/streaming") {
			t.Fatalf("with the token as the Basic password the console answered %d:\n%s", status, text)
		}
	})

	t.Run("TheListAndOneIntegrationsPage", func(t *testing.T) {
		b := browsertest.NewTab(t, browser, "console")
		b.Header("Authorization", "Bearer "+adminToken)
		status, text := b.Open(c.public+"/", "list")
		if status != http.StatusOK {
			t.Fatalf("the console answered %d:\n%s", status, text)
		}
		b.Phone("list")
		rows, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[][]string](
			`[...document.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))`))
		if err != nil {
			t.Fatal(err)
		}
		links, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tbody a')].map(a => a.href)`))
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string][]string{}
		for _, r := range rows {
			if len(r) == 9 {
				byName[r[0]] = r
			}
		}
		for name, want := range map[string]struct{ state, reason string }{
			"acme/streaming": {serve.StateStreaming, ""},
			"acme/pending":   {serve.StatePendingAuth, "not authorised yet"},
			"acme/reauth":    {serve.StateNeedsReauth, "expired access/refresh token"},
			"acme/paused":    {serve.StateDisabled, "the customer asked for a pause"},
			"acme/broken":    {serve.StateError, "INVALID_SESSION_ID"},
		} {
			r, ok := byName[name]
			switch {
			case !ok:
				t.Errorf("no row for %s in %v", name, rows)
			case r[1] != want.state || !strings.Contains(r[2], want.reason):
				t.Errorf("%s shows state %q, reason %q; want %q and a reason with %q", name, r[1], r[2], want.state, want.reason)
			}
		}
		if r := byName["acme/streaming"]; len(r) == 9 && (r[6] != "1" || r[7] != "1") {
			t.Errorf("acme/streaming shows %q comments today, %q billable; want 1 and 1", r[6], r[7])
		}
		for _, name := range []string{"acme/pending", "acme/reauth"} {
			link := c.public + "/integrations/" + name + "/oauth2/authenticate"
			if !strings.Contains(strings.Join(links, "\n"), link) {
				t.Errorf("the list lacks the authenticate link of %s (%s); links:\n%s", name, link, strings.Join(links, "\n"))
			}
		}
		if strings.Contains(text, adminToken) || strings.Contains(text, c.secret) {
			t.Error("a secret is on the console")
		}

		// Follow the link to one integration: its page, with its topics.
		resp, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.CSS(`a[href="/integrations/acme/streaming"]`)))
		if err != nil {
			t.Fatalf("following the link to acme/streaming: %v", err)
		}
		one := b.Page("one")
		h1, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("h1")))
		if resp.Status != http.StatusOK || err != nil || h1 != "acme/streaming" || !strings.Contains(one, "/data/CaseChangeEvent") ||
			!strings.Contains(one, "streaming") {
			t.Fatalf("acme/streaming's page (%d, h1 %q, %v):\n%s", resp.Status, h1, err, one)
		}
		b.Phone("one")

		// One waiting for a new authorisation: its page gives the link and
		// why.
		status, wait := b.Open(c.public+"/integrations/acme/reauth", "reauth")
		if status != http.StatusOK || !strings.Contains(wait, c.public+"/integrations/acme/reauth/oauth2/authenticate") ||
			!strings.Contains(wait, "expired access/refresh token") {
			t.Fatalf("acme/reauth's page (%d):\n%s", status, wait)
		}
		b.Phone("reauth")
	})
}

// consoleDeployment is a running `sfcdc serve` with integrations in every
// state.
type consoleDeployment struct {
	public string
	// secret is a client secret the pages must never show.
	secret string
}

func startConsoleDeployment(t *testing.T, adminToken string) consoleDeployment {
	t.Helper()
	listen := freeAddr(t)
	public := "http://" + listen
	w := simworld.New(t, simworld.Options{Seed: 41, Project: "acme", Source: "streaming", Store: simworld.Redis,
		CM: func(o *commsmining.Options) { o.Sources = []string{"acme/streaming", "acme/broken"} }})
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	app := w.Sim.REST.App()
	host, _ := url.Parse(w.Sim.InstanceURL)
	spec := func(name string, auth func(*integration.Salesforce)) integration.Spec {
		sf := integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true}
		auth(&sf)
		_, source, _ := strings.Cut(name, "/")
		return integration.Spec{Name: name, Salesforce: sf,
			CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: source,
				Linger: 10 * time.Millisecond},
			Objects: []mapper.ObjectMapping{{Object: "Case"}},
			Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second}}
	}
	fixed := func(token string) func(*integration.Salesforce) {
		return func(sf *integration.Salesforce) {
			sf.AccessToken, sf.InstanceURL, sf.TenantID = token, w.Sim.InstanceURL, w.Sim.Org.ID()
		}
	}
	hosted := func(sf *integration.Salesforce) {
		sf.Auth = integration.Auth{Flow: "web_server", LoginURL: w.Sim.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
			TrustedHosts: []string{host.Host}}
	}
	reg := registry.New(w.Store, keys)
	if _, err := reg.Apply(t.Context(), []integration.Spec{
		spec("acme/streaming", fixed(w.Sim.AccessToken)), spec("acme/broken", fixed("00Dnot!a-session")),
		spec("acme/pending", hosted), spec("acme/reauth", hosted), spec("acme/paused", fixed(w.Sim.AccessToken)),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Disable(t.Context(), "acme/paused", registry.ReasonUser, "the customer asked for a pause"); err != nil {
		t.Fatal(err)
	}
	// A grant Salesforce refused: it waits for a new authorisation.
	if _, err := custody.NewVault(w.Store, keys).Save(t.Context(), "acme/reauth", custody.Grant{RefreshToken: "5Aep-refused",
		InstanceURL: w.Sim.InstanceURL, OrgID: w.Sim.Org.ID(), LoginURL: w.Sim.LoginURL,
		NeedsReauth: "invalid_grant: expired access/refresh token (the grant was revoked or replaced)"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "solo", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond,
			Listen: listen, PublicURL: public, AdminToken: redact.Secret(adminToken)}, serve.Deps{Store: w.Store, Keys: keys})
	}()
	t.Cleanup(func() { cancel(); <-done })

	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Printer on fire", "Status": "New", "Origin": "Email"})
	if err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the case in CM", func() bool {
		_, ok := w.CM.Comment("acme", "streaming", mapper.CommentID("Case", id))
		return ok
	})
	want := map[string]string{"acme/streaming": serve.StateStreaming, "acme/broken": serve.StateError, "acme/pending": serve.StatePendingAuth,
		"acme/reauth": serve.StateNeedsReauth, "acme/paused": serve.StateDisabled}
	simworld.Eventually(t, "every integration in its state", func() bool {
		views, err := serve.ReadOverview(t.Context(), reg, w.Store)
		if err != nil || len(views) != len(want) {
			return false
		}
		for _, v := range views {
			if want[v.Name] != v.State {
				return false
			}
		}
		return true
	})
	simworld.Eventually(t, "today's comment counted", func() bool {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, public+"/api/v1/integrations/acme/streaming", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return strings.Contains(buf.String(), `"comments_today": 1,`)
	})
	return consoleDeployment{public: public, secret: app.ClientSecret}
}
