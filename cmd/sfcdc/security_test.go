package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

func TestASharedJWTKeyStopsSfcdcRunAtStart(t *testing.T) {
	t.Parallel()
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte("-----BEGIN RSA PRIVATE KEY-----\nCANARY\n-----END RSA PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	config := writeFile(t, "sfcdc.yaml", fmt.Sprintf(`salesforce:
  pubsub_endpoint: api.pubsub.salesforce.com:7443
  auth:
    flow: jwt_bearer
    client_id: 3MVG9exampleConsumerKey
    username: integration@example.com
    private_key_file: %s
commsmining:
  base_url: https://example.reinfer.io
  token: example-cm-token
  project: support
  source: salesforce
store:
  redis_url: redis://%s/0
  key_prefix: "sfcdctest:security:"
objects:
  - object: EmailMessage
`, key, testRedisAddr()))
	r := runInProcess(t, os.Environ(), "run", "--config", config, "--listen", "off")
	if r.code != exitUsage || !strings.Contains(r.output(), "salesforce.auth.private_key_file") || !strings.Contains(r.output(), "chmod 600 "+key) {
		t.Fatalf("exit %d, want %d naming salesforce.auth.private_key_file and chmod 600:\n%s", r.code, exitUsage, r.output())
	}
	if strings.Contains(r.output(), "CANARY") {
		t.Fatalf("the output shows the key file's content:\n%s", r.output())
	}
}

// quietTLSServer is a TLS test server with a self-signed certificate that
// counts the requests reaching it; refused handshakes stay out of the log.
func quietTLSServer(t *testing.T, hits *atomic.Int64, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func TestTheCMUploaderRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	const token = "CANARY-cm-token-5d2e"
	var hits atomic.Int64
	server := quietTLSServer(t, &hits, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	outcomes := make(chan uploader.Outcome[string], 1)
	up, err := uploader.New(uploader.Config{BaseURL: server.URL, Token: token, Project: "support", Source: "salesforce"},
		uploader.Options[string]{Report: func(o uploader.Outcome[string]) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := up.Submit(ctx, uploader.Item[string]{Result: mapper.Result{Kind: mapper.ResultDelete, Object: "EmailMessage", RecordID: "02s000000000001AAA",
		CommentID: "EmailMessage-02s000000000001AAA"}}); err != nil {
		t.Fatal(err)
	}
	var o uploader.Outcome[string]
	select {
	case o = <-outcomes:
	case <-time.After(30 * time.Second):
		t.Fatal("no outcome within 30 s: the uploader keeps retrying an untrusted certificate")
	}
	var fatal *uploader.FatalError
	if !errors.As(o.Err, &fatal) || !errors.Is(o.Err, uploader.ErrUntrustedCertificate) || !strings.Contains(o.Err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("outcome %v, want a FatalError ErrUntrustedCertificate naming SSL_CERT_FILE", o.Err)
	}
	if strings.Contains(o.Err.Error(), token) {
		t.Fatalf("the error shows the token: %v", o.Err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the untrusted server received %d requests (the token), want 0", n)
	}
}

func TestThePubSubClientRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 8}, PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	creds := salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	topic := s.Org.Channels()[0].Topic
	getTopic := func(cfg pubsub.Config) error {
		c, err := pubsub.NewClient(cfg, creds)
		if err != nil {
			return err
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err = c.TopicInfo(ctx, topic)
		return err
	}
	// Without the simulator's CA the system roots apply, and they do not
	// hold it.
	err = getTopic(pubsub.Config{Endpoint: s.PubSub.Addr()})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("GetTopic against an untrusted certificate gave %v, want a certificate failure", err)
	}
	if strings.Contains(err.Error(), s.AccessToken) {
		t.Fatalf("the error shows the access token: %v", err)
	}
	if err := getTopic(pubsub.Config{Endpoint: s.PubSub.Addr(), CAFile: s.PubSub.CAFile()}); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
}

// canarySecrets are the distinctive secrets of TestSfcdcRunNeverRevealsASecret.
const (
	canaryClientSecret = "CANARY-client-secret-e41f07"
	canaryCMToken      = "CANARY-cm-token-93b6aa"
)

// webServerLogin obtains a refresh token from the simulated org the way
// `sfcdc auth login` does (authorize, then code exchange), without a
// browser: the app approves automatically.
func webServerLogin(t *testing.T, s *sfsim.Sim, hc *http.Client) (refreshToken string) {
	t.Helper()
	app := s.REST.App()
	redirect := "http://localhost:1717/oauth2/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect}, "scope": {"api refresh_token"}, "state": {"s"}}
	resp, err := hc.Get(s.LoginURL + "/services/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {redirect}}
	resp, err = hc.PostForm(s.LoginURL+"/services/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.RefreshToken == "" {
		t.Fatalf("code exchange answered %d without a refresh token (%v)", resp.StatusCode, err)
	}
	return answer.RefreshToken
}

// redisValues dumps every value under prefix, whatever the key's type.
func redisValues(t *testing.T, prefix string) string {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer client.Close()
	ctx := t.Context()
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		var v any
		switch typ := client.Type(ctx, k).Val(); typ {
		case "string":
			v, err = client.Get(ctx, k).Result()
		case "hash":
			v, err = client.HGetAll(ctx, k).Result()
		case "list":
			v, err = client.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = client.SMembers(ctx, k).Result()
		case "zset":
			v, err = client.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = client.XRange(ctx, k, "-", "+").Result()
		case "none":
			continue // expired meanwhile
		default:
			t.Fatalf("key %s has type %s, which this dump does not read", k, typ)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s = %v\n", k, v)
	}
	return b.String()
}

// Not parallel: the lines gRPC and go-redis write on their own go to the
// log of the latest run in this process (process.go); alone, that is this
// run's log, which the test reads for secrets.
func TestSfcdcRunNeverRevealsASecret(t *testing.T) {
	s, err := sfsim.Start(sfsim.SimConfig{
		Org:    sfsim.Config{Seed: 31},
		PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")},
		REST:   sfsim.RESTConfig{App: sfsim.ConnectedApp{ClientSecret: canaryClientSecret, AutoApprove: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cm, err := commsmining.Start(commsmining.Options{Token: canaryCMToken, Sources: []string{"support/salesforce"}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()

	// The login a person would have made: its refresh token is the third
	// secret; every access token the org issues starts with the org ID
	// and "!", so that prefix catches any of them.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hc.Transport = secSimTransport(t, s)
	refreshToken := webServerLogin(t, s, hc)
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	if err := (salesforce.FileTokenStore{Path: tokenFile}).Save(t.Context(), salesforce.StoredToken{
		Flow: salesforce.FlowWebServer, LoginURL: s.LoginURL, ClientID: s.REST.App().ClientID, RefreshToken: salesforce.Secret(refreshToken),
		InstanceURL: s.InstanceURL, OrgID: s.Org.ID(), SavedAt: time.Now().UTC(),
	}); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"client secret": canaryClientSecret, "CM token": canaryCMToken, "refresh token": refreshToken,
		"an access token": s.Org.ID()[:15] + "!"}

	prefix := redisKeyPrefix(t)
	metricsAddr := secFreeAddr(t)
	config := writeFile(t, "sfcdc.yaml", fmt.Sprintf(`salesforce:
  pubsub_endpoint: %s
  ca_file: %s
  auth:
    flow: web_server
    login_url: %s
    client_id: %s
    client_secret: ${TEST_CLIENT_SECRET}
    token_file: %s
commsmining:
  base_url: %s
  token: ${TEST_CM_TOKEN}
  project: support
  source: salesforce
  initial_backoff: 10ms
store:
  redis_url: redis://%s/0
  key_prefix: %q
backfill:
  poll_interval: 50ms
objects:
  - object: EmailMessage
  - object: CaseComment
run:
  flush_interval: 50ms
  shutdown_grace: 20s
`, s.PubSub.Addr(), s.PubSub.CAFile(), s.LoginURL, s.REST.App().ClientID, tokenFile, cm.URL(), testRedisAddr(), prefix))
	env := append(os.Environ(), "TEST_CLIENT_SECRET="+canaryClientSecret, "TEST_CM_TOKEN="+canaryCMToken)

	// A bad replay: a checkpoint the org does not know, so the first
	// subscription fails and the topic recovers by a backfill.
	topic := "/data/EmailMessageChangeEvent"
	if r := runInProcess(t, env, "replay", "set", "--config", config, "--topic", topic, "--replay-id", "00ff00ff", "--yes"); r.code != 0 {
		t.Fatalf("replay set exited %d:\n%s", r.code, r.output())
	}

	ctx, stopTraffic := context.WithCancel(t.Context())
	trafficDone := make(chan error, 1)
	go func() { trafficDone <- sfsim.NewGenerator(s.Org, 5).Run(ctx, 30) }()
	defer func() { stopTraffic(); <-trafficDone }()

	p := startInProcess(t, env, "run", "--config", config, "--verbose", "--listen", metricsAddr)
	t.Cleanup(func() {
		if t.Failed() { // the log without gRPC's connection chatter
			var keep []string
			for _, line := range strings.Split(p.output(), "\n") {
				if !strings.Contains(line, "component=grpc") {
					keep = append(keep, line)
				}
			}
			t.Log(strings.Join(keep, "\n"))
		}
	})

	created := func() int64 { return cm.Stats().New }
	p.await(t, "comments in CM", func() bool { return created() > 5 })

	// Revoked sessions: every session the org issued is void; whichever
	// client calls first (the stream, or the poll of CaseComment, an object
	// without change events) is refused, and the session is refreshed with
	// the refresh token.
	s.Tokens.RevokeAll()
	base := created()
	p.await(t, "comments after the sessions were revoked", func() bool { return created() > base+5 })
	// REST 401 on a poll, logged as the error it is.
	s.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1, ServerErrorStatus: http.StatusUnauthorized})
	p.await(t, "the REST 401 in the log", func() bool { return strings.Contains(p.output(), "answered 401") })
	// Dead letters: CM refuses comments with a message that repeats the
	// token (a faulty proxy); the reason is kept in Redis.
	cm.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: http.StatusUnprocessableEntity,
		Message: "comment refused for token " + canaryCMToken, Times: 30})
	p.await(t, "a dead letter", func() bool { return strings.Contains(p.output(), `msg="dead letter"`) })

	metrics := secScrape(t, "http://"+metricsAddr+"/metrics")

	// CM 401 once: the uploader stops on a refused token.
	cm.InjectFault(commsmining.Fault{Endpoint: commsmining.AnyEndpoint, Status: http.StatusUnauthorized, Message: "token " + canaryCMToken + " is not valid"})
	p.await(t, "CM's 401 in the log", func() bool {
		return strings.Contains(p.output(), "refused the API token")
	})
	p.cancel() // as SIGTERM does
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("sfcdc run did not stop within 60 s of its stop:\n%s", p.output())
	}

	out := p.output()
	for _, want := range []string{
		"level=DEBUG",                  // the most talkative level
		"recovering topic by backfill", // the bad replay
		"answered 401",                 // REST 401
		`msg="dead letter"`,            // CM 422
		"session refreshed after the server rejected it", // Pub/Sub refused the revoked session
		"CM refused the uploader",                        // CM 401
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q, so a provoked path did not run:\n%s", want, out)
		}
	}
	stored := redisValues(t, prefix)
	// CM's echo of the token reached Redis (a dead letter's reason, the
	// status's last error) with the token blanked.
	if !strings.Contains(stored, "[REDACTED]") {
		t.Errorf("Redis under %s holds no redacted CM message, so the dead letters were not looked at:\n%s", prefix, stored)
	}
	for what, secret := range secrets {
		for where, text := range map[string]string{"the output": out, "Redis": stored, "/metrics": metrics} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the %s:\n%s", where, what, lineWith(text, secret))
			}
		}
	}
}

// secSimTransport trusts the simulated org's CA, nothing else.
func secSimTransport(t *testing.T, s *sfsim.Sim) *http.Transport {
	t.Helper()
	pemBytes, err := os.ReadFile(s.PubSub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("the simulator's CA file holds no certificate")
	}
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
}

// secFreeAddr is a loopback address nothing listens on right now.
func secFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// secScrape reads a /metrics page; the endpoint must answer.
func secScrape(t *testing.T, target string) string {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatalf("scrape %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "sfcdc_") {
		t.Fatalf("scrape %s: %d %v\n%s", target, resp.StatusCode, err, body)
	}
	return string(body)
}
