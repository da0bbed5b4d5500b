package integration

import (
	"strings"
	"testing"
)

func TestConnectionSettingsRefuseUnsafeSalesforceURLs(t *testing.T) {
	static := Salesforce{PubSubEndpoint: "api.pubsub.salesforce.com:7443", AccessToken: "t", TenantID: "00D000000000001AAA"}
	oauth := Salesforce{PubSubEndpoint: "api.pubsub.salesforce.com:7443",
		Auth: Auth{Flow: "client_credentials", ClientID: "id", ClientSecret: "s"}}
	cases := []struct {
		name    string
		section func() Salesforce
		want    string // "" when the section is fine
	}{
		{"a My Domain instance URL", func() Salesforce { s := static; s.InstanceURL = "https://acme.my.salesforce.com"; return s }, ""},
		{"the simulator over TLS", func() Salesforce { s := static; s.InstanceURL = "https://127.0.0.1:8443"; return s }, ""},
		{"the plaintext simulator with insecure", func() Salesforce {
			s := static
			s.InstanceURL, s.Insecure, s.PubSubEndpoint = "http://127.0.0.1:8080", true, "127.0.0.1:7443"
			return s
		}, ""},
		{"a plaintext instance URL without insecure", func() Salesforce { s := static; s.InstanceURL = "http://127.0.0.1:8080"; return s },
			"salesforce.instance_url \"http://127.0.0.1:8080\" is plain http"},
		{"a foreign instance host", func() Salesforce { s := static; s.InstanceURL = "https://evil.example.com"; return s },
			"salesforce.instance_url host \"evil.example.com\" is not a Salesforce domain"},
		{"a look-alike instance host", func() Salesforce {
			s := static
			s.InstanceURL = "https://acme.my.salesforce.com.evil.example.com"
			return s
		}, "salesforce.instance_url host"},
		{"a plain-http instance on a Salesforce host", func() Salesforce { s := static; s.InstanceURL = "http://acme.my.salesforce.com"; return s },
			"salesforce.instance_url \"http://acme.my.salesforce.com\" must use https"},
		{"a trusted instance host", func() Salesforce {
			s := static
			s.InstanceURL, s.Auth.TrustedHosts = "https://sf-gateway.corp.example", []string{"sf-gateway.corp.example"}
			return s
		}, ""},
		{"a My Domain login URL", func() Salesforce { s := oauth; s.Auth.LoginURL = "https://acme.my.salesforce.com"; return s }, ""},
		{"a foreign login URL", func() Salesforce { s := oauth; s.Auth.LoginURL = "https://login.evil.example.com"; return s },
			"salesforce.auth.login_url host \"login.evil.example.com\" is not a Salesforce domain"},
		{"a plaintext login URL without insecure", func() Salesforce { s := oauth; s.Auth.LoginURL = "http://127.0.0.1:8080"; return s },
			"salesforce.auth.login_url \"http://127.0.0.1:8080\" is plain http: use https or set salesforce.insecure: true"},
		{"a plaintext login URL off loopback", func() Salesforce { s := oauth; s.Auth.LoginURL = "http://login.salesforce.com"; return s },
			"salesforce.auth.login_url \"http://login.salesforce.com\" must use https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems := strings.Join(tc.section().problems(), "\n")
			if tc.want == "" && problems != "" {
				t.Fatalf("refused: %s", problems)
			}
			if tc.want != "" && !strings.Contains(problems, tc.want) {
				t.Fatalf("got %q, want a problem containing %q", problems, tc.want)
			}
			if err := tc.section().Validate(); (err == nil) != (tc.want == "") {
				t.Fatalf("validate() = %v, want it to agree with problems()", err)
			}
		})
	}
}
