package salesforce

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtAssertionLifetime is how far ahead the assertion's exp lies; Salesforce
// asks for a few minutes at most.
const jwtAssertionLifetime = 3 * time.Minute

// jwtBearerGrant signs an assertion (iss = consumer key, sub = username,
// aud = login URL, exp) with the private key and trades it for a session.
// golang-jwt signs because x/oauth2/jwt reads the wall clock and adds
// Google-specific claims; the token exchange is one form POST.
type jwtBearerGrant struct {
	clientID, username, loginURL string
	key                          *rsa.PrivateKey
	clock                        Clock
}

func newJWTBearerGrant(cfg Config) (*jwtBearerGrant, error) {
	key, err := loadPrivateKey(cfg.PrivateKeyFile)
	if err != nil {
		return nil, err
	}
	return &jwtBearerGrant{clientID: cfg.ClientID, username: cfg.Username, loginURL: cfg.LoginURL, key: key, clock: cfg.Clock}, nil
}

func (g *jwtBearerGrant) flow() Flow { return FlowJWTBearer }

func (g *jwtBearerGrant) assertion() (string, error) {
	now := g.clock.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    g.clientID,
		Subject:   g.username,
		Audience:  jwt.ClaimStrings{g.loginURL},
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtAssertionLifetime)),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(g.key)
	if err != nil {
		return "", fmt.Errorf("sign the JWT assertion: %w", err)
	}
	return signed, nil
}

func (g *jwtBearerGrant) token(ctx context.Context, hc *http.Client) (tokenResponse, error) {
	assertion, err := g.assertion()
	if err != nil {
		return tokenResponse{}, err
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL(g.loginURL), strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, fmt.Errorf("obtain a Salesforce session by JWT bearer: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("obtain a Salesforce session by JWT bearer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return tokenResponse{}, fmt.Errorf("obtain a Salesforce session by JWT bearer: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return tokenResponse{}, fmt.Errorf("obtain a Salesforce session by JWT bearer: %w", decodeOAuthError(resp.StatusCode, body))
	}
	return decodeTokenResponse(body)
}

// maxKeyFile caps the private key file's size.
const maxKeyFile = 64 << 10

// loadPrivateKey reads a PEM RSA key (PKCS #1 or #8). Like ssh, it refuses
// a key file that group or others can read. Errors never quote the file.
func loadPrivateKey(path string) (*rsa.PrivateKey, error) {
	if err := CheckKeyFile(path); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	defer clear(raw)
	block, _ := pem.Decode(bytes.TrimSpace(raw))
	if block == nil {
		return nil, fmt.Errorf("read private key %s: no PEM block in it", path)
	}
	defer clear(block.Bytes)
	return parseRSAKey(path, block)
}

func parseRSAKey(path string, block *pem.Block) (*rsa.PrivateKey, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read private key %s: not a PKCS #1 RSA key", path)
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read private key %s: not a PKCS #8 key", path)
		}
		if key, ok := k.(*rsa.PrivateKey); ok {
			return key, nil
		}
		return nil, fmt.Errorf("read private key %s: the key is not RSA (Salesforce signs JWTs with RS256)", path)
	}
	return nil, fmt.Errorf("read private key %s: PEM block %q is not a private key", path, block.Type)
}
