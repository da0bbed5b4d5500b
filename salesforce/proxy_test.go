package salesforce_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// orgBehindProxy is a simulated org that sfcdc reaches through a reverse
// proxy recording every request. The proxy is the login URL and, in the
// token responses it passes on, the instance URL, so every OAuth and REST
// request of the salesforce package crosses it; the org's Pub/Sub endpoint
// expects the proxy's URL as instanceurl, as a real org expects its own
// instance URL. The simulator cannot leave "id" out of a token response,
// which a client must cope with (reference §5.1: the org ID comes from the
// id URL or from userinfo), so withoutIdentityURL makes the proxy drop it.
type orgBehindProxy struct {
	sim   *sfsim.Sim
	proxy *httptest.Server
	url   string

	mu           sync.Mutex
	requests     []string // "GET /services/oauth2/userinfo", in arrival order
	identityURLs []string // the "id" of each token response, before any removal
}

func startOrgBehindProxy(t *testing.T, withoutIdentityURL bool) *orgBehindProxy {
	t.Helper()
	o := &orgBehindProxy{}
	var forward *httputil.ReverseProxy
	o.proxy = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.requests = append(o.requests, r.Method+" "+r.URL.Path)
		o.mu.Unlock()
		forward.ServeHTTP(w, r)
	}))
	// The listener exists before the server starts, so the org can be told
	// its instance URL before the proxy forwards to it.
	o.url = "http://" + o.proxy.Listener.Addr().String()
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:         sfsim.Config{Seed: 42},
		PubSub:      sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		REST:        sfsim.RESTConfig{App: sfsim.ConnectedApp{ClientID: canaryClientID, ClientSecret: canaryClientSecret}},
		InstanceURL: o.url,
	})
	if err != nil {
		o.proxy.Listener.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	o.sim = s
	target, err := url.Parse(s.REST.URL())
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool(t, s.PubSub.CAFile())}}
	t.Cleanup(transport.CloseIdleConnections)
	forward = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del("Accept-Encoding") // token answers are rewritten as plain JSON
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.URL.Path != "/services/oauth2/token" || resp.StatusCode != http.StatusOK {
				return nil
			}
			idURL, err := rewriteTokenAnswer(resp, o.url, withoutIdentityURL)
			o.mu.Lock()
			o.identityURLs = append(o.identityURLs, idURL)
			o.mu.Unlock()
			return err
		},
	}
	o.proxy.Start()
	t.Cleanup(o.proxy.Close)
	return o
}

// rewriteTokenAnswer points the token response's instance_url at the proxy
// and, when asked, removes its identity URL, which it returns.
func rewriteTokenAnswer(resp *http.Response, instanceURL string, dropIdentityURL bool) (identityURL string, err error) {
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	var answer map[string]any
	if err := json.Unmarshal(raw, &answer); err != nil {
		return "", err
	}
	identityURL, _ = answer["id"].(string)
	answer["instance_url"] = instanceURL
	if dropIdentityURL {
		delete(answer, "id")
	}
	if raw, err = json.Marshal(answer); err != nil {
		return "", err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.ContentLength = int64(len(raw))
	resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
	return identityURL, nil
}

// tokenIdentityURLs are the identity URLs the org put in its token responses.
func (o *orgBehindProxy) tokenIdentityURLs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.identityURLs...)
}

// seen returns the requests that crossed the proxy so far.
func (o *orgBehindProxy) seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.requests...)
}

// count is how many recorded requests are exactly methodAndPath.
func (o *orgBehindProxy) count(methodAndPath string) int {
	n := 0
	for _, r := range o.seen() {
		if r == methodAndPath {
			n++
		}
	}
	return n
}

// credentials are client-credentials sessions obtained through the proxy.
func (o *orgBehindProxy) credentials(t *testing.T) *salesforce.Credentials {
	t.Helper()
	creds, err := salesforce.NewCredentials(salesforce.Config{
		Flow: salesforce.FlowClientCredentials, LoginURL: o.url,
		ClientID: canaryClientID, ClientSecret: canaryClientSecret,
		Logger: (&logBuffer{}).logger(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(creds.Close)
	return creds
}

func caPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return pool
}

// dataRequests are the recorded REST API requests (under /services/data/).
func (o *orgBehindProxy) dataRequests() []string {
	var out []string
	for _, r := range o.seen() {
		if _, path, _ := strings.Cut(r, " "); strings.HasPrefix(path, "/services/data/") {
			out = append(out, r)
		}
	}
	return out
}
