package salesforce

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// ConnectedApp is the org's connected app (external client app): the
// consumer key and secret OAuth clients present and the flows it allows.
// The zero value is a usable app: a consumer key derived from the org's
// seed, a random secret, any loopback callback ending in /oauth2/callback,
// PKCE optional, a page asking the user to allow access, client
// credentials on, JWT bearer off.
type ConnectedApp struct {
	// ClientID is the consumer key (generated when empty).
	ClientID string
	// ClientSecret is the consumer secret (random when empty).
	ClientSecret string
	// CallbackURLs are the registered redirect URIs, matched exactly. Empty:
	// any http://localhost:<port>/oauth2/callback or 127.0.0.1 equivalent,
	// a simulator convenience so a CLI may pick its port.
	CallbackURLs []string
	// RequirePKCE makes the authorize endpoint refuse requests without an
	// S256 code_challenge ("Require PKCE" in the app's settings).
	RequirePKCE bool
	// AutoApprove skips the approval page, as for a user who approved the
	// app before; tests use it.
	AutoApprove bool
	// Username is the integration user's username, the JWT sub it accepts
	// (integration@<org id>.sfcdc-sim.example when empty).
	Username string
	// JWTCertificate is the PEM certificate (or PEM public key) uploaded
	// for "Use digital signatures"; nil turns the JWT bearer flow off.
	JWTCertificate []byte
	// DisableClientCredentials turns the client credentials flow off (on
	// by default, running as the org's user).
	DisableClientCredentials bool
	// RotateRefreshTokens is refresh token rotation: each refresh answers
	// with a new refresh token and the one sent dies; presenting a
	// rotated-out token revokes the grant. Changeable at runtime with
	// RESTServer.SetRotateRefreshTokens.
	RotateRefreshTokens bool
	// RefreshTokenPolicy ends grants after a time or when idle (valid
	// until revoked when zero). Changeable at runtime with
	// RESTServer.SetRefreshTokenPolicy.
	RefreshTokenPolicy RefreshTokenPolicy
	// RefreshTokenIPAllowlist is "Enforce Refresh Token IP Allowlist":
	// when set, only clients from these ranges finish the code exchange
	// or a refresh; others get 400 invalid_grant "ip restricted".
	// Changeable at runtime with RESTServer.SetRefreshTokenIPAllowlist.
	RefreshTokenIPAllowlist []netip.Prefix

	jwtKey *rsa.PublicKey
}

// withDefaults fills generated values and parses the certificate.
func (a ConnectedApp) withDefaults(org *Org) (ConnectedApp, error) {
	a.CallbackURLs = slices.Clone(a.CallbackURLs)
	a.RefreshTokenIPAllowlist = slices.Clone(a.RefreshTokenIPAllowlist)
	if a.ClientID == "" {
		a.ClientID = "3MVG9sfcdcSim." + org.ID()
	}
	if a.ClientSecret == "" {
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		a.ClientSecret = strings.ToUpper(hex.EncodeToString(buf))
	}
	if a.Username == "" {
		a.Username = "integration@" + strings.ToLower(org.ID()) + ".sfcdc-sim.example"
	}
	if len(a.JWTCertificate) > 0 {
		key, err := parseRSAPublicKey(a.JWTCertificate)
		if err != nil {
			return a, fmt.Errorf("%w: App.JWTCertificate: %v; give a PEM certificate or public key of an RSA key", ErrInvalidConfig, err)
		}
		a.jwtKey = key
	}
	return a, nil
}

func parseRSAPublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	var key crypto.PublicKey
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = cert.PublicKey
	default:
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	}
	rsaKey, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the key is %T, not RSA", key)
	}
	return rsaKey, nil
}

// allowsCallback reports whether redirectURI is registered.
func (a ConnectedApp) allowsCallback(redirectURI string) bool {
	if len(a.CallbackURLs) > 0 {
		return slices.Contains(a.CallbackURLs, redirectURI)
	}
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme != "http" || u.Path != "/oauth2/callback" || u.User != nil || u.RawQuery != "" {
		return false
	}
	host := u.Hostname()
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
