package salesforce

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
)

// ErrUntrustedCertificate: the server's TLS certificate did not verify
// against the system roots plus salesforce.ca_file. Retrying cannot help;
// the configuration (or the network path, e.g. an intercepting proxy) must
// change.
var ErrUntrustedCertificate = errors.New("TLS certificate not trusted")

// certificateError names the host and the fix; the verification detail
// (unknown authority, wrong host name, expired) is kept for the operator.
type certificateError struct {
	host   string
	detail error
}

func (e *certificateError) Error() string {
	return fmt.Sprintf("%v: the certificate of %s did not verify (%v): if a private CA signs it (the simulator, a TLS-inspecting proxy), set salesforce.ca_file (or SFCDC_CA_FILE) to that CA's PEM file, otherwise check the URL",
		ErrUntrustedCertificate, e.host, e.detail)
}

func (e *certificateError) Unwrap() []error { return []error{ErrUntrustedCertificate, e.detail} }

// isCertificateError reports whether err is a failed verification of the
// server's certificate (as opposed to a refused connection or a timeout).
func isCertificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// certHintTransport turns certificate failures into certificateError, so
// every caller (token endpoint, REST) reports the same fix. Verification
// itself stays with the wrapped transport's tls.Config.
type certHintTransport struct{ base *http.Transport }

func (t certHintTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil && isCertificateError(err) {
		return nil, &certificateError{host: r.URL.Host, detail: err}
	}
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t certHintTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }
