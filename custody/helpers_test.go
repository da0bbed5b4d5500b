package custody_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sealed"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	canaryClientSecret = "CANARY-custody-client-secret-41c9"
	integrationName    = "acme/support"
)

// world is one test's simulated org (its app rotating refresh tokens or
// not), the deployment's Redis store and keyring, and a grant obtained by
// the web-server flow and stored in the vault.
type world struct {
	sim   *sfsim.Sim
	store *replay.RedisStore
	redis *redis.Client
	// prefix is the store's key prefix in Redis.
	prefix string
	keys   *sealed.Keyring
	vault  *custody.Vault
	// first is the grant as the code exchange returned it.
	first struct{ refresh, access string }
	mu    sync.Mutex
	logs  bytes.Buffer
}

func newWorld(t testing.TB, rotate bool) *world {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: 7},
		PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		REST: sfsim.RESTConfig{App: sfsim.ConnectedApp{ClientSecret: canaryClientSecret, AutoApprove: true,
			RotateRefreshTokens: rotate}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	store, client, prefix := simworld.NewRedisStore(t)
	keys, err := sealed.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{sim: s, store: store, redis: client, prefix: prefix, keys: keys, vault: custody.NewVault(store, keys)}
	w.first.refresh, w.first.access = w.authorize(t)
	_, err = w.vault.Save(t.Context(), integrationName, custody.Grant{RefreshToken: salesforce.Secret(w.first.refresh),
		AccessToken: salesforce.Secret(w.first.access), InstanceURL: s.InstanceURL, OrgID: s.Org.ID(), LoginURL: s.LoginURL})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// httpClient trusts the simulator's CA and does not follow redirects.
func (w *world) httpClient(t testing.TB) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(w.sim.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authorize runs the web-server flow (the app approves at once) and
// returns the new grant's refresh and access tokens.
func (w *world) authorize(t testing.TB) (refresh, access string) {
	t.Helper()
	hc := w.httpClient(t)
	defer hc.CloseIdleConnections()
	return simworld.CodeGrant(t, hc, w.sim.LoginURL, w.sim.REST.App())
}

func (w *world) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.Write(p)
}

func (w *world) logText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.String()
}

// source is one instance's view of the integration's grant.
func (w *world) source(t testing.TB, holder string) *custody.Source {
	t.Helper()
	app := w.sim.REST.App()
	r, err := salesforce.NewRefresher(salesforce.Config{LoginURL: w.sim.LoginURL, ClientID: app.ClientID,
		ClientSecret: salesforce.Secret(app.ClientSecret), CAFile: w.sim.PubSub.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return &custody.Source{Name: integrationName, Vault: w.vault, Locks: w.store, Refresher: r, Holder: holder,
		LockTTL: 5 * time.Second, Busy: retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, MaxElapsed: 20 * time.Second},
		Logger: slogTo(w)}
}

// dumpRedis is every value under the test's key prefix, as text.
func (w *world) dumpRedis(t *testing.T) string {
	t.Helper()
	client := w.redis
	var out strings.Builder
	iter := client.Scan(t.Context(), 0, w.prefix+"*", 100).Iterator()
	for iter.Next(t.Context()) {
		key := iter.Val()
		vals, err := client.HGetAll(t.Context(), key).Result()
		if err == nil {
			for f, v := range vals {
				out.WriteString(key + " " + f + " " + v + "\n")
			}
			continue
		}
		s, _ := client.Get(t.Context(), key).Result()
		out.WriteString(key + " " + s + "\n")
	}
	return out.String()
}
