package salesforce

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// salesforceDomains are the domains Salesforce serves logins and
// instances from: commercial (salesforce.com, force.com, cloudforce.com,
// the setup domain salesforce-setup.com), government (salesforce.mil) and
// the China cloud (sfcrmproducts.cn).
var salesforceDomains = []string{"salesforce.com", "force.com", "cloudforce.com", "salesforce-setup.com", "salesforce.mil", "sfcrmproducts.cn"}

// hostPolicy decides where a token may be sent: an instance URL from a
// token response must be https (http only on loopback), carry nothing but
// scheme and host (and a port only on a trusted exact host), and its host
// must be the login URL's host, an explicitly trusted host, or a host under
// Salesforce's domains. IP literals pass only as an exact trusted host
// (the simulator), never by domain.
type hostPolicy struct {
	exact     []string // login host and TrustedHosts, lower case
	allowHTTP bool     // the login URL itself is plain http (the simulator on loopback)
}

func newHostPolicy(loginURL string, trusted []string) hostPolicy {
	var p hostPolicy
	if u, err := url.Parse(loginURL); err == nil && u.Host != "" {
		p.exact = append(p.exact, strings.ToLower(u.Host), strings.ToLower(u.Hostname()))
		p.allowHTTP = u.Scheme == "http"
	}
	for _, h := range trusted {
		p.exact = append(p.exact, strings.ToLower(h))
	}
	return p
}

// checkInstanceURL returns the instance URL normalised (no trailing
// slash) or an ErrUntrustedURL error.
func (p hostPolicy) checkInstanceURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: instance URL %s is not an absolute URL", ErrUntrustedURL, quote.URL(raw))
	}
	if err := checkBaseURL(raw); err != nil {
		return "", fmt.Errorf("%w: instance URL: %v", ErrUntrustedURL, err)
	}
	if u.Scheme != "https" && !p.allowHTTP {
		return "", fmt.Errorf("%w: instance URL %s is not https although the login URL is", ErrUntrustedURL, quote.URL(raw))
	}
	if strings.Trim(u.Path, "/") != "" {
		return "", fmt.Errorf("%w: instance URL %s has a path", ErrUntrustedURL, quote.URL(raw))
	}
	host := strings.ToLower(u.Host)
	if !p.trusts(host, u.Hostname(), u.Port()) {
		return "", fmt.Errorf("%w: instance URL host %q is neither the login host, a trusted host, nor a Salesforce domain; add it to salesforce.auth.trusted_hosts if it is yours", ErrUntrustedURL, u.Host)
	}
	return u.Scheme + "://" + u.Host, nil
}

func (p hostPolicy) trusts(hostPort, hostname, port string) bool {
	if slices.Contains(p.exact, hostPort) {
		return true
	}
	hostname = strings.ToLower(hostname)
	if port != "" || net.ParseIP(hostname) != nil || strings.HasSuffix(hostname, ".") {
		return false
	}
	if slices.Contains(p.exact, hostname) {
		return true
	}
	return slices.ContainsFunc(salesforceDomains, func(d string) bool { return strings.HasSuffix(hostname, "."+d) })
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkResourcePath accepts a server-given path (nextRecordsUrl) only if
// it stays inside the REST API of the same instance.
func checkResourcePath(path string) error {
	if !strings.HasPrefix(path, "/services/data/") || strings.Contains(path, "..") || strings.Contains(path, "//") ||
		strings.ContainsAny(path, "\\?#@ \t\r\n") {
		return fmt.Errorf("%w: resource path %q is not under /services/data/", ErrUntrustedURL, printable(path, 200))
	}
	return nil
}
