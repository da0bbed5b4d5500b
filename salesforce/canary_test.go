package salesforce_test

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// TestNoSecretReachesLogsErrorsOrPrintedValues runs every flow, forces
// refreshes and failures with a debug logger attached, and looks for the
// client secret, the private key, the refresh token and every access token
// in all of it.
func TestNoSecretReachesLogsErrorsOrPrintedValues(t *testing.T) {
	t.Parallel()
	keyPath, cert, keyPEM := rsaKeyFiles(t)
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{AutoApprove: true, JWTCertificate: cert}})
	logs := &logBuffer{}
	var said []string
	note := func(vs ...any) {
		for _, v := range vs {
			said = append(said, fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v))
		}
	}
	secrets := []string{canaryClientSecret}

	// Web-server flow: login, then sessions from the stored refresh token.
	web := baseConfig(s, salesforce.FlowWebServer, logs)
	web.CallbackPort = freePort(t)
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	run := startLogin(t, web, store)
	page := get(t, browser(t, s.PubSub.CAFile()), run.authorizeURL)
	run.wait(t)
	stored, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, stored.RefreshToken.Reveal())
	creds, err := salesforce.NewCredentials(web, store)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	rest := restClient(t, s, creds, logs)
	first, _ := creds.Current(t.Context())
	s.Tokens.RevokeAll()
	_, err = rest.Count(t.Context(), "SELECT COUNT() FROM Case")
	second, _ := creds.Current(t.Context())
	secrets = append(secrets, first.AccessToken, second.AccessToken)
	note(page.body, run.identity, stored, web, creds, rest, err, first, second)

	// Failures: a revoked refresh token, a query error, a wrong secret.
	s.REST.RevokeRefreshTokens()
	s.Tokens.RevokeAll()
	_, err = rest.Count(t.Context(), "SELECT Id FRM Case")
	note(err)
	badSecret := baseConfig(s, salesforce.FlowClientCredentials, logs)
	badSecret.ClientSecret = salesforce.Secret(canaryClientSecret + "-wrong")
	secrets = append(secrets, badSecret.ClientSecret.Reveal())
	bad, _ := salesforce.NewCredentials(badSecret, nil)
	_, err = bad.Current(t.Context())
	note(err, badSecret, bad)
	bad.Close()

	// JWT bearer, good and refused.
	jwt := baseConfig(s, salesforce.FlowJWTBearer, logs)
	jwt.PrivateKeyFile, jwt.Username = keyPath, s.REST.App().Username
	jc, err := salesforce.NewCredentials(jwt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Close()
	js, err := jc.Current(t.Context())
	secrets = append(secrets, js.AccessToken)
	note(js, err, jc)
	jwt.Username = "nobody@example.com"
	jc2, _ := salesforce.NewCredentials(jwt, nil)
	_, err = jc2.Current(t.Context())
	note(err)
	jc2.Close()

	haystack := logs.String() + strings.Join(said, "\n")
	for _, secret := range secrets {
		if secret != "" && strings.Contains(haystack, secret) {
			t.Fatalf("a secret (%d chars, starting %.6s…) appears in the output", len(secret), secret)
		}
	}
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) > 20 && strings.Contains(haystack, line) {
			t.Fatal("private key material appears in the output")
		}
	}
	if raw, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Split(string(keyPEM), "\n")[1:3], "")); len(raw) > 0 && strings.Contains(haystack, string(raw)) {
		t.Fatal("private key bytes appear in the output")
	}
	if !strings.Contains(logs.String(), "Salesforce session obtained") {
		t.Fatal("the logger captured nothing; the check proves nothing")
	}
}
