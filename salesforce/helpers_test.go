package salesforce_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // go-redis pool reaper between tests
	)
}

// Canary secrets: if any of these shows up in output, a secret leaked.
const (
	canaryClientSecret = "CANARY-client-secret-7f3a9c"
	canaryClientID     = "3MVG9canaryConsumerKey"
)

// simOptions adjust the simulated org of one test.
type simOptions struct {
	app        sfsim.ConnectedApp
	dailyLimit int
	clock      sfsim.Clock
}

// startSim runs a simulated org whose connected app uses the canary secret.
func startSim(t testing.TB, opts simOptions) *sfsim.Sim {
	t.Helper()
	app := opts.app
	if app.ClientID == "" {
		app.ClientID = canaryClientID
	}
	if app.ClientSecret == "" {
		app.ClientSecret = canaryClientSecret
	}
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: 42},
		PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		REST:   sfsim.RESTConfig{App: app, DailyAPILimit: opts.dailyLimit},
		Clock:  opts.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// logBuffer collects slog output (debug level) for the leak checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// baseConfig points a flow at the simulator.
func baseConfig(s *sfsim.Sim, flow salesforce.Flow, log *logBuffer) salesforce.Config {
	if log == nil {
		log = &logBuffer{}
	}
	return salesforce.Config{
		Flow:         flow,
		LoginURL:     s.LoginURL,
		ClientID:     s.REST.App().ClientID,
		ClientSecret: salesforce.Secret(s.REST.App().ClientSecret),
		CAFile:       s.PubSub.CAFile(),
		Logger:       log.logger(),
	}
}

// clientCredentials returns working credentials against the simulator.
func clientCredentials(t testing.TB, s *sfsim.Sim, log *logBuffer) *salesforce.Credentials {
	t.Helper()
	creds, err := salesforce.NewCredentials(baseConfig(s, salesforce.FlowClientCredentials, log), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(creds.Close)
	return creds
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port
}

func restClient(t testing.TB, s *sfsim.Sim, creds *salesforce.Credentials, log *logBuffer) *salesforce.Client {
	t.Helper()
	if log == nil {
		log = &logBuffer{}
	}
	c, err := salesforce.NewClient(salesforce.Config{CAFile: s.PubSub.CAFile(), Logger: log.logger()}, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rsaKeyFiles writes a fresh RSA key (mode 0600) and returns its path and
// the PEM certificate to give the simulated connected app.
func rsaKeyFiles(t testing.TB) (keyPath string, certPEM []byte, keyPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sfcdc test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	keyPath = filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return keyPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM
}

// stepClock is a settable clock shared by the simulator and the client.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock { return &stepClock{now: time.Now()} }

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// createCases makes n cases in one transaction and returns their IDs.
func createCases(t testing.TB, s *sfsim.Sim, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	_, err := s.Org.Transaction(func(tx *sfsim.Tx) error {
		for i := range n {
			id, err := tx.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("Printer on fire #%05d", i), "Status": "New"})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
