package onboard_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/onboard"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	canaryClientSecret = "CANARY-onboard-client-secret-8d2e"
	integrationName    = "acme/support"
)

// service is the onboarding pages of one deployment (a Redis store, a
// keyring, the registry holding one integration for the first org of a
// simulated world) behind a real HTTP server, and a browser-like client
// that trusts the simulator's CA.
type service struct {
	world      *sfsim.World
	store      *replay.RedisStore
	registry   *registry.Registry
	vault      *custody.Vault
	server     *httptest.Server
	client     *http.Client
	logs       *syncBuffer
	authorised chan string
}

func newService(t *testing.T, orgs int) *service {
	t.Helper()
	s := &service{logs: &syncBuffer{}, authorised: make(chan string, 10)}
	var handler http.Handler = http.NotFoundHandler()
	var mu sync.Mutex
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.server.Close)
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: orgs, PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(500 + i)} },
		REST: sfsim.RESTConfig{App: sfsim.ConnectedApp{ClientSecret: canaryClientSecret, RotateRefreshTokens: true,
			CallbackURLs: []string{s.server.URL + onboard.CallbackPath}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	s.world = world
	store, _, _ := simworld.NewRedisStore(t)
	s.store = store
	keys, err := sealed.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	s.registry = registry.New(store, keys)
	s.vault = custody.NewVault(store, keys)
	org := world.Orgs[0]
	app := org.REST.App()
	_, err = s.registry.Apply(t.Context(), []integration.Spec{{
		Name: integrationName,
		Salesforce: integration.Salesforce{PubSubEndpoint: world.PubSub.Addr(), CAFile: world.PubSub.CAFile(),
			Auth: integration.Auth{Flow: "web_server", LoginURL: world.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
				TrustedHosts: orgHosts(world)}},
		CommsMining: uploader.Config{BaseURL: "https://cm.example", Token: "cm-token", Project: "acme", Source: "support"},
		Objects:     []mapper.ObjectMapping{{Object: "Case"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	handler = onboard.Handler(onboard.Config{PublicURL: s.server.URL, Registry: s.registry, Vault: s.vault, States: store, Keys: keys,
		Authorised: func(_ context.Context, name string) { s.authorised <- name },
		Logger:     slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	mu.Unlock()
	pem, err := os.ReadFile(world.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	s.client = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	return s
}

// authenticateURL is the link the customer's admin is given.
func (s *service) authenticateURL() string {
	return s.server.URL + "/integrations/" + integrationName + "/oauth2/authenticate"
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// approve opens the authenticate link, and on the simulated Salesforce
// page logs in as username and chooses decision (allow or deny), as a
// person would; it returns the page the browser lands on and the callback
// URL it came through.
func (s *service) approve(t *testing.T, username, decision string) (status int, body, callback string) {
	t.Helper()
	resp, err := s.client.Get(s.authenticateURL())
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	m := requestField.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, "Allow Access?") {
		t.Fatalf("the authenticate link led to %d %s, not Salesforce's approval page:\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	form := url.Values{"request": {m[1]}, "decision": {decision}}
	if username != "" {
		form.Set("username", username)
	}
	resp, err = s.client.PostForm(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/services/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp), resp.Request.URL.String()
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// orgHosts are the world's instance hosts (every org has its own address).
func orgHosts(w *sfsim.World) []string {
	var hosts []string
	for _, o := range w.Orgs {
		u, _ := url.Parse(o.InstanceURL)
		hosts = append(hosts, u.Host)
	}
	return hosts
}
