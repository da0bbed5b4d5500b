package salesforce_test

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
)

// countingServer counts the requests that reached its handler (a TLS
// handshake that fails never does).
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newCountingServer(t *testing.T, useTLS bool, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	})
	s.Server = httptest.NewUnstartedServer(handler)
	// Refused handshakes are the expected outcome, not news for the test log.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// caFileOf writes the test server's self-signed certificate as a CA file.
func caFileOf(t *testing.T, s *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tokenAnswer answers a token request with a session at instance.
func tokenAnswer(instance string, withID bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/oauth2/token" {
			http.NotFound(w, r)
			return
		}
		answer := map[string]string{"access_token": "00D000000000001!CANARY-access-token-b81d", "instance_url": instance, "token_type": "Bearer"}
		if withID {
			answer["id"] = "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}
}

func TestATokenEndpointWithAnUntrustedCertificateIsRefusedNamingTheFix(t *testing.T) {
	t.Parallel()
	var server *countingServer
	server = newCountingServer(t, true, func(w http.ResponseWriter, r *http.Request) { tokenAnswer(server.URL, true)(w, r) })
	cfg := salesforce.Config{Flow: salesforce.FlowClientCredentials, LoginURL: server.URL, ClientID: canaryClientID,
		ClientSecret: canaryClientSecret, Logger: (&logBuffer{}).logger()}

	creds, err := salesforce.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	_, err = creds.Current(t.Context())
	if !errors.Is(err, salesforce.ErrUntrustedCertificate) || !strings.Contains(err.Error(), "salesforce.ca_file") {
		t.Fatalf("a self-signed token endpoint gave %v, want ErrUntrustedCertificate naming salesforce.ca_file", err)
	}
	if strings.Contains(err.Error(), canaryClientSecret) {
		t.Fatalf("the error shows the client secret: %v", err)
	}
	if n := server.hits.Load(); n != 0 {
		t.Fatalf("the untrusted server received %d requests (the client secret), want 0", n)
	}

	// The fix the error names works: trusting the server's CA.
	cfg.CAFile = caFileOf(t, server.Server)
	trusting, err := salesforce.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer trusting.Close()
	if _, err := trusting.Current(t.Context()); err != nil {
		t.Fatalf("with salesforce.ca_file set: %v", err)
	}
}

func TestTheRESTClientRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	server := newCountingServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"totalSize":0,"done":true,"records":[]}`))
	})
	creds := salesforce.StaticSession{AccessToken: "00D000000000001!CANARY-access-token-c04e", InstanceURL: server.URL, TenantID: "00D000000000001AAA"}
	client, err := salesforce.NewClient(salesforce.Config{Logger: (&logBuffer{}).logger()}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.FirstPage(t.Context(), "SELECT Id FROM Case", salesforce.QueryOptions{})
	if !errors.Is(err, salesforce.ErrUntrustedCertificate) || !strings.Contains(err.Error(), "salesforce.ca_file") {
		t.Fatalf("a self-signed instance gave %v, want ErrUntrustedCertificate naming salesforce.ca_file", err)
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("the error shows the access token: %v", err)
	}
	if n := server.hits.Load(); n != 0 {
		t.Fatalf("the untrusted server received %d requests (the access token), want 0", n)
	}

	trusting, err := salesforce.NewClient(salesforce.Config{CAFile: caFileOf(t, server.Server), Logger: (&logBuffer{}).logger()}, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer trusting.Close()
	if _, err := trusting.FirstPage(t.Context(), "SELECT Id FROM Case", salesforce.QueryOptions{}); err != nil {
		t.Fatalf("with salesforce.ca_file set: %v", err)
	}
}

func TestATokenResponseNamingAForeignInstanceNeverReceivesACall(t *testing.T) {
	t.Parallel()
	// The hostile host is a real server: had sfcdc trusted the instance URL,
	// the userinfo lookup (no id in the answer) or the REST query would
	// have carried the access token to it.
	hostile := newCountingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"organization_id":"00D000000000001AAA","user_id":"005000000000001AAA","totalSize":0,"done":true,"records":[]}`))
	})
	for name, instance := range map[string]string{
		"another loopback port":      hostile.URL,
		"a foreign domain":           "https://evil.example.com",
		"a look-alike suffix":        "https://acme.my.salesforce.com.evil.example.com",
		"an IP literal":              "https://10.0.0.1",
		"the cloud metadata address": "http://169.254.169.254",
		"user info":                  "https://attacker@acme.my.salesforce.com",
	} {
		t.Run(name, func(t *testing.T) {
			endpoint := newCountingServer(t, false, tokenAnswer(instance, false))
			creds, err := salesforce.NewCredentials(salesforce.Config{Flow: salesforce.FlowClientCredentials, LoginURL: endpoint.URL,
				ClientID: canaryClientID, ClientSecret: canaryClientSecret, Logger: (&logBuffer{}).logger()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer creds.Close()
			client, err := salesforce.NewClient(salesforce.Config{Logger: (&logBuffer{}).logger()}, creds)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			_, err = client.FirstPage(t.Context(), "SELECT Id FROM Case", salesforce.QueryOptions{})
			if !errors.Is(err, salesforce.ErrUntrustedURL) {
				t.Fatalf("instance_url %s gave %v, want ErrUntrustedURL", instance, err)
			}
			if endpoint.hits.Load() == 0 {
				t.Fatal("the token endpoint was never asked; the test proves nothing")
			}
		})
	}
	if n := hostile.hits.Load(); n != 0 {
		t.Fatalf("the hostile instance received %d requests, want 0", n)
	}
}

func TestConfiguredLoginAndInstanceURLsMustBeSalesforceHosts(t *testing.T) {
	t.Parallel()
	trusted := []string{"sf-proxy.corp.example", "gateway.corp.example:8443"}
	cases := []struct {
		url       string
		plainHTTP bool
		ok        bool
	}{
		{"https://login.salesforce.com", false, true},
		{"https://test.salesforce.com/", false, true},
		{"https://Acme.My.Salesforce.com", false, true},
		{"https://acme--dev.sandbox.my.salesforce.com", false, true},
		{"https://acme.lightning.force.com", false, true},
		{"https://acme.my.salesforce-setup.com", false, true},
		{"https://acme.my.salesforce.mil", false, true},
		{"https://acme.my.sfcrmproducts.cn", false, true},
		{"https://login.salesforce.com:443", false, true},
		{"https://sf-proxy.corp.example", false, true},
		{"https://gateway.corp.example:8443", false, true},
		{"https://127.0.0.1:8443", false, true}, // the simulator; its certificate is still verified
		{"https://localhost:8443", false, true},
		{"https://[::1]:8443", false, true},
		{"http://127.0.0.1:8443", true, true},
		{"http://127.0.0.1:8443", false, false}, // plaintext needs salesforce.insecure
		{"http://login.salesforce.com", true, false},
		{"https://evil.example.com", false, false},
		{"https://login.salesforce.com.evil.example.com", false, false},
		{"https://evilsalesforce.com", false, false},
		{"https://salesforce.com", false, false},       // no org is served from the bare domain
		{"https://login.salesforcе.com", false, false}, // Cyrillic "е"
		{"https://login.salesforce.com.", false, false},
		{"https://login.salesforce.com:8443", false, false},
		{"https://user@login.salesforce.com", false, false},
		{"https://login.salesforce.com?next=https://evil.example.com", false, false},
		{"https://10.0.0.1", false, false},
		{"https://169.254.169.254", false, false},
		{"ftp://login.salesforce.com", false, false},
		{"login.salesforce.com", false, false},
		{"https://sf-proxy.corp.example:9443", false, false},
	}
	for _, tc := range cases {
		err := salesforce.CheckConfiguredURL("salesforce.instance_url", tc.url, trusted, tc.plainHTTP)
		if (err == nil) != tc.ok {
			t.Errorf("%s (plain http allowed %v): accepted %v, want %v (%v)", tc.url, tc.plainHTTP, err == nil, tc.ok, err)
			continue
		}
		if err != nil && (!errors.Is(err, salesforce.ErrUntrustedHost) || !strings.HasPrefix(err.Error(), "salesforce.instance_url")) {
			t.Errorf("%s: %v does not start with the key or is not ErrUntrustedHost", tc.url, err)
		}
	}

	// Config.Validate applies the check to login_url.
	cfg := salesforce.Config{Flow: salesforce.FlowClientCredentials, ClientID: "id", ClientSecret: "s", LoginURL: "https://evil.example.com"}
	if err := cfg.Validate(); !errors.Is(err, salesforce.ErrInvalidConfig) || !strings.Contains(err.Error(), "login_url host \"evil.example.com\"") {
		t.Fatalf("a foreign login_url gave %v", err)
	}
	cfg.TrustedHosts = []string{"evil.example.com"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a login_url listed in trusted_hosts gave %v", err)
	}
}

func TestAKeyFileGroupOrOthersCanAccessIsRefused(t *testing.T) {
	t.Parallel()
	keyPath, _, _ := rsaKeyFiles(t)
	if err := salesforce.CheckKeyFile(keyPath); err != nil {
		t.Fatalf("a 0600 key: %v", err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o644} {
		if err := os.Chmod(keyPath, mode); err != nil {
			t.Fatal(err)
		}
		err := salesforce.CheckKeyFile(keyPath)
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+keyPath) {
			t.Errorf("mode %04o gave %v, want an error naming chmod 600", mode, err)
		}
	}
	if err := salesforce.CheckKeyFile(filepath.Dir(keyPath)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory gave %v", err)
	}
}
