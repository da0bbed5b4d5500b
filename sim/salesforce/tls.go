package salesforce

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// generateTLS creates the simulator's CA and server certificate, writing
// the CA to caFile or, when caFile is empty, to a new temporary directory.
// tempDir is that directory ("" when the caller chose caFile): the caller
// removes it when the simulator closes, so a clean exit leaves no
// sfcdc-sim-* folder behind.
func generateTLS(caFile string, extraIPs ...net.IP) (file string, cfg *tls.Config, tempDir string, err error) {
	if caFile == "" {
		if tempDir, err = os.MkdirTemp("", "sfcdc-sim-"); err != nil {
			return "", nil, "", fmt.Errorf("create CA directory: %w", err)
		}
		caFile = filepath.Join(tempDir, "ca.pem")
	}
	if cfg, err = selfSignedTLS(caFile, extraIPs); err != nil {
		removeTempDir(tempDir)
		return "", nil, "", err
	}
	return caFile, cfg, tempDir, nil
}

// removeTempDir deletes a directory generateTLS created ("" is none).
func removeTempDir(dir string) {
	if dir != "" {
		_ = os.RemoveAll(dir) // best effort: the simulator is closing anyway
	}
}

// selfSignedTLS creates a throwaway CA and a server certificate it signs for
// loopback names (and extraIPs: the instance addresses of a World's
// orgs), and writes the CA certificate to caFile so clients can trust
// the simulator the way they trust Salesforce's public CA.
func selfSignedTLS(caFile string, extraIPs []net.IP) (*tls.Config, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sfcdc simulator CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, _ := x509.ParseCertificate(caDER)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  append([]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, extraIPs...),
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(caFile), 0o755); err != nil {
		return nil, fmt.Errorf("create CA file directory: %w", err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write CA file: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2"},
	}, nil
}
