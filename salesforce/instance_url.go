package salesforce

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// ErrUntrustedHost is matched (errors.Is) by every refusal of a configured
// login or instance URL by CheckConfiguredURL.
var ErrUntrustedHost = errors.New("not a Salesforce host")

// hostError is a refusal whose text starts with the key to change; it
// holds no "; " so configuration errors can be listed one per line.
type hostError struct{ msg string }

func (e *hostError) Error() string { return e.msg }
func (e *hostError) Unwrap() error { return ErrUntrustedHost }

func refuse(format string, args ...any) error { return &hostError{fmt.Sprintf(format, args...)} }

// IsSalesforceHost reports whether hostname (no port) lies under one of the
// domains Salesforce serves orgs and logins from (login.salesforce.com,
// test.salesforce.com, <MyDomain>.my.salesforce.com, *.force.com, the
// government and China clouds). IP literals, trailing dots and look-alike
// suffixes ("evilsalesforce.com", "x.salesforce.com.evil.com") are not.
func IsSalesforceHost(hostname string) bool {
	hostname = strings.ToLower(hostname)
	if hostname == "" || strings.HasSuffix(hostname, ".") {
		return false
	}
	return slices.ContainsFunc(salesforceDomains, func(d string) bool { return strings.HasSuffix(hostname, "."+d) })
}

// CheckConfiguredURL checks a login or instance URL taken from the
// configuration before any token is sent to it. It must be an absolute URL
// without user info, query or fragment, and either
//
//   - https on a Salesforce host (IsSalesforceHost) or on one of trusted
//     (exact host names, e.g. a private proxy the operator runs), on the
//     default port; or
//   - a loopback host (127.0.0.0/8, ::1, localhost): the simulator. It
//     reaches nothing but this machine; https there still verifies the
//     certificate (salesforce.ca_file), and plain http is accepted only
//     with allowPlainHTTP (salesforce.insecure in sfcdc).
//
// key names the setting in errors (e.g. "salesforce.instance_url"), so
// the message says what to change.
func CheckConfiguredURL(key, raw string, trusted []string, allowPlainHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return refuse("%s %s is not an absolute https URL, e.g. https://MyDomain.my.salesforce.com", key, quote.Value(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return refuse("%s must not carry user info, a query or a fragment: give scheme and host only", key)
	}
	hostname := strings.ToLower(u.Hostname())
	if isLoopbackHost(hostname) {
		if u.Scheme == "http" && !allowPlainHTTP {
			return refuse("%s %s is plain http: use https or set salesforce.insecure: true for a simulator on loopback", key, quote.Value(raw))
		}
		return nil
	}
	if u.Scheme != "https" {
		return refuse("%s %s must use https (plain http only for a simulator on loopback)", key, quote.Value(raw))
	}
	if slices.ContainsFunc(trusted, func(h string) bool { return strings.EqualFold(h, u.Host) }) {
		return nil // an exact trusted host:port
	}
	if u.Port() != "" && u.Port() != "443" {
		return refuse("%s %s names port %s but Salesforce serves on the default https port, remove it", key, quote.Value(raw), quote.Value(u.Port()))
	}
	if slices.ContainsFunc(trusted, func(h string) bool { return strings.EqualFold(h, hostname) }) || IsSalesforceHost(hostname) {
		return nil
	}
	return refuse("%s host %s is not a Salesforce domain (*.salesforce.com, *.force.com, …): use login.salesforce.com, test.salesforce.com or https://MyDomain.my.salesforce.com, or add the host to salesforce.auth.trusted_hosts if it is yours",
		key, quote.Value(u.Host))
}
