package salesforce

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTAssertionsAreCheckedClaimByClaim(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	h := startRESTHarness(t, RESTConfig{App: ConnectedApp{JWTCertificate: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}})
	app := h.sim.REST.App()
	now := h.clock.Now()
	good := jwt.MapClaims{"iss": app.ClientID, "sub": app.Username, "aud": h.sim.LoginURL, "exp": now.Add(3 * time.Minute).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for key, val := range good {
			c[key] = val
		}
		c[k] = v
		return c
	}
	rs256 := func(c jwt.MapClaims) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(key)
		return s
	}
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString([]byte(app.ClientSecret))
	cases := []struct {
		name, assertion, error, says string
	}{
		{"a good assertion", rs256(good), "", ""},
		{"an audience list holding the login URL", rs256(with("aud", []string{h.sim.LoginURL + "/"})), "", ""},
		{"another consumer key", rs256(with("iss", "3MVG9other")), "invalid_client_id", "client identifier invalid"},
		{"another audience", rs256(with("aud", "https://login.salesforce.com")), "invalid_grant", "audience is invalid"},
		{"another user", rs256(with("sub", "x@example.com")), "invalid_grant", "approved"},
		{"an expired assertion", rs256(with("exp", now.Add(-time.Minute).Unix())), "invalid_grant", "expired"},
		{"no expiry", rs256(with("exp", nil)), "invalid_grant", "invalid assertion"},
		{"an HMAC signature", hs256, "invalid_grant", "invalid assertion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := h.token(t, url.Values{"grant_type": {GrantJWTBearer}, "assertion": {tc.assertion}})
			var body map[string]any
			a.json(t, &body)
			if tc.error == "" {
				if a.status != 200 || body["refresh_token"] != nil {
					t.Fatalf("%d %s, want a token without a refresh token", a.status, a.body)
				}
				return
			}
			if a.status != 400 || body["error"] != tc.error || !strings.Contains(body["error_description"].(string), tc.says) {
				t.Fatalf("%d %s, want %s saying %q", a.status, a.body, tc.error, tc.says)
			}
		})
	}
}
