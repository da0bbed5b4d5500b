package salesforce

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// newHTTPClient returns the client every Salesforce call uses: TLS 1.2+
// verified against the system roots plus cfg.CAFile, no redirects (a token
// is never carried to a host it was not meant for), and a per-exchange
// timeout.
func newHTTPClient(cfg Config) (*http.Client, error) {
	// nil RootCAs is the system's roots, shared: a copy per client
	// (x509.SystemCertPool) cost 25 KB per integration, 25 MB in one sfcdc
	// serve of 1,000. Only a CA file needs a pool of its own.
	var roots *x509.CertPool
	if cfg.CAFile != "" {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file %s: %w", cfg.CAFile, err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %s: no PEM certificate in it", cfg.CAFile)
		}
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout: 15 * time.Second,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{
		Transport: certHintTransport{transport},
		Timeout:   cfg.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errRedirect
		},
	}, nil
}

var errRedirect = errors.New("redirect answered by Salesforce, which sfcdc does not follow")
