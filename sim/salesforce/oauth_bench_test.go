package salesforce

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"
)

// BenchmarkRefreshWithRotation is one refresh with rotation over HTTPS
// (keep-alive), the new refresh token used for the next: the simulator's
// cost of a hosted deployment's refresh traffic.
func BenchmarkRefreshWithRotation(b *testing.B) {
	clock := &restTestClock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s, err := Start(SimConfig{Org: Config{Seed: 3}, Clock: clock, REST: RESTConfig{App: ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}},
		PubSub: PubSubConfig{CAFile: b.TempDir() + "/ca.pem"}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	pem, err := os.ReadFile(s.PubSub.CAFile())
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	h := &restHarness{sim: s, clock: clock, http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tok := h.webServerLogin(b)
	app := s.REST.App()
	refresh := tok.RefreshToken
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.http.PostForm(s.LoginURL+"/services/oauth2/token", url.Values{
			"grant_type": {GrantRefreshToken}, "refresh_token": {refresh}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
		if err != nil {
			b.Fatal(err)
		}
		var next tokenResponse
		err = json.NewDecoder(resp.Body).Decode(&next)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("refresh: %d %v", resp.StatusCode, err)
		}
		refresh = next.RefreshToken
	}
}
