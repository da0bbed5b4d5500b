package simrun

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// goodConfig is what `sfcdc sim` starts with its flags' defaults.
func goodConfig() Config {
	return Config{Orgs: 1, PubSubAddr: "127.0.0.1:7443", RESTAddr: "127.0.0.1:0", Rate: 10, DailyAPILimit: 15000,
		SeedObject: "EmailMessage", CMSource: "sfcdc/salesforce", CMFault: CMFault{Endpoint: string(commsmining.EndpointSync)}}
}

func TestCheckRefusesEachSettingThatCannotWorkNamingItsFlag(t *testing.T) {
	if err := goodConfig().Check(); err != nil {
		t.Fatalf("the default settings are refused: %v", err)
	}
	for flag, change := range map[string]func(*Config){
		"--rate": func(c *Config) { c.Rate = -1 },
		"--insecure serves plaintext, so it is allowed on loopback addresses only, and --pubsub-addr": func(c *Config) {
			c.Insecure, c.PubSubAddr = true, "0.0.0.0:7443"
		},
		"--daily-api-limit":            func(c *Config) { c.DailyAPILimit = 0 },
		"--token-idle-timeout":         func(c *Config) { c.TokenIdleTimeout = -time.Second },
		"--refresh-delay":              func(c *Config) { c.RefreshDelay = -time.Second },
		"--refresh-token-expire-after": func(c *Config) { c.RefreshTokenPolicy.ExpireAfter = -time.Hour },
		"--refresh-token-expire-if-unused": func(c *Config) {
			c.RefreshTokenPolicy.ExpireIfNotUsedFor = -time.Hour
		},
		"--orgs 0: want 1 to 5000":       func(c *Config) { c.Orgs = 0 },
		"--orgs 5001: want 1 to 5000":    func(c *Config) { c.Orgs = MaxOrgs + 1 },
		"--cm-fault-status 200":          func(c *Config) { c.CMFault.Status = 200 },
		"--cm-fault-retry-after needs":   func(c *Config) { c.CMFault.RetryAfter = "5" },
		"--cm-fault-accept-then-timeout": func(c *Config) { c.CMFault.Status, c.CMFault.AcceptThenTimeout = 503, true },
		"--cm-fault-latency":             func(c *Config) { c.CMFault.Latency = -time.Second },
		"--cm-fault-endpoint":            func(c *Config) { c.CMFault.Endpoint = "everything" },
		"--seed-object":                  func(c *Config) { c.SeedRecords, c.SeedObject = 5, "Opportunity" },
		"--commsmining-source":           func(c *Config) { c.CMSource = "nosource" },
		"--callback-url":                 func(c *Config) { c.CallbackURLs = []string{"/oauth2/callback"} },
	} {
		c := goodConfig()
		change(&c)
		err := c.Check()
		if err == nil || !errors.Is(err, ErrConfig) || !strings.HasPrefix(err.Error(), strings.Fields(flag)[0]) ||
			!strings.Contains(err.Error(), flag) {
			t.Errorf("%s: %v; want an ErrConfig naming the flag first", flag, err)
		}
	}
	plain := goodConfig()
	plain.Insecure = true
	if err := plain.Check(); err != nil {
		t.Fatalf("--insecure on loopback is refused: %v", err)
	}
}

func TestBannerFieldsNameEveryJSONFieldOfTheBanner(t *testing.T) {
	names := BannerFields()
	for _, want := range []string{"pubsub_addr", "access_token", "state_file", "login_url", "client_secret", "commsmining_url"} {
		if !slices.Contains(names, want) {
			t.Errorf("BannerFields %v lacks %s", names, want)
		}
	}
	if names[0] != "pubsub_addr" {
		t.Errorf("BannerFields starts with %s, want the Banner's first field", names[0])
	}
}
