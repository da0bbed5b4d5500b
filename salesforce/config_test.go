package salesforce

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNamesTheKeyToFix(t *testing.T) {
	t.Parallel()
	ok := Config{Flow: FlowWebServer, ClientID: "id", ClientSecret: "s"}
	cases := []struct {
		name   string
		adjust func(*Config)
		key    string
	}{
		{"a missing flow names flow", func(c *Config) { c.Flow = "" }, "flow"},
		{"the web flow without a secret names client_secret", func(c *Config) { c.ClientSecret = "" }, "client_secret"},
		{"a missing consumer key names client_id", func(c *Config) { c.ClientID = "" }, "client_id"},
		{"jwt without a key names private_key_file", func(c *Config) { c.Flow = FlowJWTBearer }, "private_key_file"},
		{"client credentials without My Domain names login_url", func(c *Config) { c.Flow = FlowClientCredentials }, "login_url"},
		{"a plain-http login URL off loopback names login_url", func(c *Config) { c.LoginURL = "http://login.salesforce.com" }, "login_url"},
		{"a bad API version names api_version", func(c *Config) { c.APIVersion = "62" }, "api_version"},
		{"a bad port names callback_port", func(c *Config) { c.CallbackPort = 70000 }, "callback_port"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a complete config: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.adjust(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("got %v, want ErrInvalidConfig naming %s", err, tc.key)
			}
		})
	}
}

func TestOnlyTrustedInstanceURLsReceiveTokens(t *testing.T) {
	t.Parallel()
	p := newHostPolicy("https://login.salesforce.com", []string{"sf.internal.example"})
	sim := newHostPolicy("https://127.0.0.1:8443", nil)
	cases := []struct {
		policy hostPolicy
		url    string
		trust  bool
	}{
		{p, "https://acme.my.salesforce.com", true},
		{p, "https://acme--dev.sandbox.my.salesforce.com/", true},
		{p, "https://acme.lightning.force.com", true},
		{p, "https://sf.internal.example", true},
		{p, "http://acme.my.salesforce.com", false},
		{p, "https://user@acme.my.salesforce.com", false},
		{p, "https://10.0.0.1", false},
		{p, "https://169.254.169.254", false},
		{p, "https://evil.com", false},
		{p, "https://acme.my.salesforce.com.evil.com", false},
		{p, "https://evilsalesforce.com", false},
		{p, "https://acme.my.salesforce.com.", false},
		{p, "https://acme.my.salesforce.com:8443", false},
		{p, "https://acme.my.salesforce.com/services/data", false},
		{p, "https://acme.my.salesforce.com?x=1", false},
		{sim, "https://127.0.0.1:8443", true},
		{sim, "https://127.0.0.1:9999", false},
		{sim, "http://127.0.0.1:8443", false},
	}
	for _, tc := range cases {
		_, err := tc.policy.checkInstanceURL(tc.url)
		if (err == nil) != tc.trust {
			t.Errorf("%s: trusted %v, want %v (%v)", tc.url, err == nil, tc.trust, err)
		}
		if err != nil && !errors.Is(err, ErrUntrustedURL) {
			t.Errorf("%s: %v is not ErrUntrustedURL", tc.url, err)
		}
	}
}

func TestNextRecordsURLsMustStayInTheRESTAPI(t *testing.T) {
	t.Parallel()
	for path, ok := range map[string]bool{
		"/services/data/v62.0/query/01g5Y0000000001AAA-2000": true,
		"https://evil.com/services/data/v62.0/query/x":       false,
		"//evil.com/services/data/":                          false,
		"/services/data/../../id/x":                          false,
		"/services/oauth2/token":                             false,
	} {
		if (checkResourcePath(path) == nil) != ok {
			t.Errorf("%s: accepted %v, want %v", path, !ok, ok)
		}
	}
}

func TestLimitInfoReadsTheAPIUsageEntry(t *testing.T) {
	t.Parallel()
	for header, want := range map[string][2]int{
		"api-usage=25/15000":                  {25, 15000},
		"api-usage=2/15000; api-bursts=1/750": {2, 15000},
		"api-bursts=1/750,api-usage=7/100":    {7, 100},
	} {
		used, limit, err := ParseLimitInfo(header)
		if err != nil || used != want[0] || limit != want[1] {
			t.Errorf("%q: %d/%d %v", header, used, limit, err)
		}
	}
	if _, _, err := ParseLimitInfo("api-usage=x/y"); err == nil {
		t.Error("a malformed header was accepted")
	}
}
