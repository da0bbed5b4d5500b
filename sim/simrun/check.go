package simrun

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// MaxOrgs is the most orgs `sfcdc sim --orgs` starts: the issue's
// benchmark needs 1,000, and each org holds a loopback address, its
// catalogue and its bus, so far more would only exhaust the machine.
const MaxOrgs = 5000

// Check refuses settings that cannot work, before anything starts. Each
// message names the `sfcdc sim` flag of the setting to fix; every error
// matches ErrConfig. Unlike Start, which takes Orgs 0 as one org, Check
// wants Orgs as the flag gives it: 1 to MaxOrgs.
func (c Config) Check() error {
	cf := c.CMFault
	switch {
	case c.Rate < 0 || c.Events < 0 || c.RetainEvents < 0:
		return configError("--rate, --events and --retain-events must not be negative")
	case c.Insecure:
		if err := c.checkPlaintext(); err != nil {
			return err
		}
	}
	switch {
	case c.Orgs < 1 || c.Orgs > MaxOrgs:
		return configError(fmt.Sprintf("--orgs %d: want 1 to %d simulated orgs", c.Orgs, MaxOrgs))
	case c.TokenIdleTimeout < 0:
		return configError(fmt.Sprintf("--token-idle-timeout %s: must not be negative; 0 turns it off", c.TokenIdleTimeout))
	case c.RefreshDelay < 0:
		return configError(fmt.Sprintf("--refresh-delay %s: must not be negative; 0 answers each refresh at once", c.RefreshDelay))
	case c.RefreshTokenPolicy.ExpireAfter < 0:
		return configError(fmt.Sprintf("--refresh-token-expire-after %s: must not be negative; 0: refresh tokens never expire", c.RefreshTokenPolicy.ExpireAfter))
	case c.RefreshTokenPolicy.ExpireIfNotUsedFor < 0:
		return configError(fmt.Sprintf("--refresh-token-expire-if-unused %s: must not be negative; 0: refresh tokens never expire when idle", c.RefreshTokenPolicy.ExpireIfNotUsedFor))
	case c.DailyAPILimit <= 0:
		return configError(fmt.Sprintf("--daily-api-limit %d: want a positive number of calls", c.DailyAPILimit))
	case cf.Status != 0 && (cf.Status < 400 || cf.Status > 599):
		return configError(fmt.Sprintf("--cm-fault-status %d: want an error status from 400 to 599, e.g. 429 or 503", cf.Status))
	case cf.RetryAfter != "" && cf.Status == 0:
		return configError("--cm-fault-retry-after needs --cm-fault-status (e.g. --cm-fault-status 429)")
	case cf.AcceptThenTimeout && cf.Status != 0:
		return configError("--cm-fault-accept-then-timeout and --cm-fault-status exclude each other: a request is either refused or accepted; drop one")
	case cf.Latency < 0 || cf.Times < 0:
		return configError("--cm-fault-latency and --cm-fault-times must not be negative")
	case !slices.Contains(CMFaultEndpoints, cf.Endpoint):
		return configError(fmt.Sprintf("--cm-fault-endpoint %s: want one of %s", quote.Value(cf.Endpoint), strings.Join(CMFaultEndpoints, ", ")))
	case c.SeedRecords > 0 && !slices.Contains(SeedObjects, c.SeedObject):
		return configError(fmt.Sprintf("--seed-object %s: want %s", quote.Value(c.SeedObject), strings.Join(SeedObjects, ", ")))
	case !strings.Contains(c.CMSource, "/"):
		return configError(fmt.Sprintf("--commsmining-source %s: want project/source", quote.Value(c.CMSource)))
	}
	for _, cb := range c.CallbackURLs {
		if u, err := url.Parse(cb); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return configError(fmt.Sprintf("--callback-url %s: want an absolute http(s) URL without query, e.g. http://127.0.0.1:8080/external/salesforce/oauth2/callback", quote.Value(cb)))
		}
	}
	return nil
}

// checkPlaintext refuses Insecure on an address other machines could
// reach: the demo credentials and every event would cross the network in
// the clear. (The simulated org refuses it too; this names the flags to
// fix.)
func (c Config) checkPlaintext() error {
	for _, a := range []struct{ flag, addr string }{{"--pubsub-addr", c.PubSubAddr}, {"--rest-addr", c.RESTAddr}} {
		if sfsim.CheckPlaintextAddr(a.addr) != nil {
			return configError(fmt.Sprintf("--insecure serves plaintext, so it is allowed on loopback addresses only, and %s %q is not one: "+
				"use %s 127.0.0.1:<port> (or [::1]:<port>, localhost:<port>), or drop --insecure to serve TLS", a.flag, a.addr, a.flag))
		}
	}
	return nil
}

// configError is a Check message that matches ErrConfig without adding its
// text: the message alone says what to fix.
type configError string

func (e configError) Error() string        { return string(e) }
func (e configError) Is(target error) bool { return target == ErrConfig }

// BannerFields are the Banner's JSON field names in order, read from the
// type itself, so `sfcdc sim --help` never misses a field.
func BannerFields() []string {
	var names []string
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous {
				collect(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names = append(names, name)
			}
		}
	}
	collect(reflect.TypeFor[Banner]())
	return names
}
