package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/clitest"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
)

// TestLoginThenStatusThenSubscribeWithTheStoredLogin is the new user's
// path: `auth login` against the simulator, approved in a "browser" that
// follows the authorize page's form; `auth status`; then `subscribe` with
// sessions minted from the stored refresh token. No command output, log
// line or page may show a secret.
func TestLoginThenStatusThenSubscribeWithTheStoredLogin(t *testing.T) {
	isolateEnv(t)
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 77}, PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app := s.REST.App()
	tokenFile := filepath.Join(t.TempDir(), "sfcdc", "salesforce-token.json")
	configPath := writeAuthConfig(t, s, tokenFile)
	t.Setenv("SFCDC_TEST_CLIENT_SECRET", app.ClientSecret)
	logs := captureDefaultLogger(t)
	var seen []string // everything a person or a log collector would see

	login := startCommand(t, newAuthCommand(), "login", "--config", configPath, "--no-browser")
	b := simBrowser(t, s.PubSub.CAFile())
	approval := browse(t, b, login.authorizeURL(t))
	final := submitForm(t, b, approval, "allow")
	if err := login.wait(); err != nil {
		t.Fatalf("auth login failed: %v\n%s", err, login.output())
	}
	seen = append(seen, approval.Body, final.Body, login.output())
	if !strings.Contains(final.Body, "sfcdc is connected to Salesforce") || !strings.Contains(login.output(), "Logged in to org "+s.Org.ID()) {
		t.Fatalf("the login did not say it succeeded:\npage: %s\nterminal: %s", final.Body, login.output())
	}

	status, err := runCommand(t, newAuthCommand(), "status", "--config", configPath)
	if err != nil {
		t.Fatalf("auth status: %v\n%s", err, status)
	}
	seen = append(seen, status)
	for _, want := range []string{"web_server", s.Org.ID(), app.Username, s.InstanceURL, tokenFile} {
		if !strings.Contains(status, want) {
			t.Fatalf("auth status does not show %q:\n%s", want, status)
		}
	}

	ids := createCaseIDs(t, s, 3)
	events, err := runCommand(t, newSubscribeCommand(), "--config", configPath, "--topic", "/data/CaseChangeEvent", "--from", "earliest", "--limit", "3")
	if err != nil {
		t.Fatalf("subscribe with the stored login: %v\n%s", err, events)
	}
	seen = append(seen, events)
	for _, id := range ids {
		if !strings.Contains(events, id) {
			t.Fatalf("subscribe did not print the event of %s:\n%s", id, events)
		}
	}

	t.Setenv("SFCDC_CLIENT_SECRET", "CANARY-wrong-secret-51c2")
	failed, err := runCommand(t, newAuthCommand(), "status", "--config", configPath)
	if err == nil {
		t.Fatal("auth status succeeded with a wrong client secret")
	}
	seen = append(seen, failed, err.Error(), logs.String())
	assertNoSecrets(t, strings.Join(seen, "\n"), s, tokenFile, app.ClientSecret, "CANARY-wrong-secret-51c2")
}

func TestAuthCommandsExplainMissingSettings(t *testing.T) {
	isolateEnv(t)
	out, err := runCommand(t, newAuthCommand(), "status")
	if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "salesforce.auth.flow") {
		t.Fatalf("got %v (%s), want a usage error naming salesforce.auth.flow", err, out)
	}
	t.Setenv("SFCDC_AUTH_FLOW", "web_server")
	_, err = runCommand(t, newAuthCommand(), "login")
	if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "salesforce.auth.client_id") || !strings.Contains(err.Error(), "salesforce.auth.client_secret") {
		t.Fatalf("got %v, want a usage error naming client_id and client_secret", err)
	}
}

// assertNoSecrets looks for the client secrets, the stored refresh token
// and any access token (all start with the org ID and "!") in text.
func assertNoSecrets(t *testing.T, text string, s *sfsim.Sim, tokenFile string, secrets ...string) {
	t.Helper()
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(raw, &stored); err != nil || stored.RefreshToken == "" {
		t.Fatalf("no refresh token in the token file: %v", err)
	}
	for _, secret := range append(secrets, stored.RefreshToken, s.Org.ID()[:15]+"!") {
		if strings.Contains(text, secret) {
			t.Fatalf("a secret (%.8s…) appears in what the commands showed", secret)
		}
	}
}

// isolateEnv clears every SFCDC_ setting for the test.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SFCDC_") && k != "SFCDC_TEST_REDIS_ADDR" {
			t.Setenv(k, v) // restores it afterwards
			os.Unsetenv(k)
		}
	}
}

// writeAuthConfig writes a web_server configuration whose refresh token is
// kept in tokenFile.
func writeAuthConfig(t *testing.T, s *sfsim.Sim, tokenFile string) string {
	t.Helper()
	return writeWebServerConfig(t, s, fmt.Sprintf("    token_file: %s\n", tokenFile))
}

// writeWebServerConfig writes a web_server configuration against the
// simulated org, with a free callback port and the given token store lines.
func writeWebServerConfig(t *testing.T, s *sfsim.Sim, tokenStore string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	cfg := fmt.Sprintf(`salesforce:
  pubsub_endpoint: %s
  ca_file: %s
  auth:
    flow: web_server
    login_url: %s
    client_id: %s
    client_secret: ${SFCDC_TEST_CLIENT_SECRET}
    callback_port: %d
`, s.PubSub.Addr(), s.PubSub.CAFile(), s.LoginURL, s.REST.App().ClientID, port) + tokenStore
	path := filepath.Join(t.TempDir(), "sfcdc.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// captureDefaultLogger sends slog's default logger to a buffer at debug level.
func captureDefaultLogger(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// syncBuffer is a buffer several goroutines write while a test reads it.
type syncBuffer = clitest.Buffer

// runCommand runs a command to completion and returns its output.
func runCommand(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out syncBuffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(withEnv(t.Context(), os.LookupEnv))
	return out.String(), err
}

// runningCommand is a command executing in the background.
type runningCommand struct {
	out  syncBuffer
	urls chan string
	done chan error
}

func startCommand(t *testing.T, cmd *cobra.Command, args ...string) *runningCommand {
	t.Helper()
	r := &runningCommand{urls: make(chan string, 1), done: make(chan error, 1)}
	pr, pw := io.Pipe()
	cmd.SetArgs(args)
	cmd.SetOut(pw)
	cmd.SetErr(&r.out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&r.out, line)
			if u := strings.TrimSpace(line); strings.HasPrefix(u, "https://") {
				select {
				case r.urls <- u:
				default: // only the first URL is asked for
				}
			}
		}
	}()
	go func() {
		err := cmd.ExecuteContext(withEnv(t.Context(), os.LookupEnv))
		pw.Close()
		<-scanned // the command's last lines are in r.out before wait returns
		r.done <- err
	}()
	return r
}

func (r *runningCommand) authorizeURL(t *testing.T) string {
	t.Helper()
	select {
	case u := <-r.urls:
		return u
	case err := <-r.done:
		t.Fatalf("the command ended before printing the authorize URL: %v\n%s", err, r.out.String())
	}
	return ""
}

func (r *runningCommand) wait() error { return <-r.done }

func (r *runningCommand) output() string { return r.out.String() }

func createCaseIDs(t *testing.T, s *sfsim.Sim, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := s.Org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("Printer on fire #%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// simBrowser trusts the simulator's CA and follows redirects, like a
// person's browser during the login.
func simBrowser(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

var (
	browse     = clitest.Browse
	submitForm = clitest.SubmitForm
)
