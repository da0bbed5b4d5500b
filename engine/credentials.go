package engine

import (
	"context"
	"log/slog"
	"sync"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Credentials is the session source the salesforce section describes:
// OAuth (salesforce.auth) or the fixed access_token / instance_url /
// tenant_id. log receives the OAuth retries' warnings (nil: discarded).
func Credentials(sf integration.Salesforce, log *slog.Logger) salesforce.SessionSource {
	if sf.Auth.Configured() {
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		return &oauthCredentials{auth: sf.Auth, caFile: sf.CAFile, log: log}
	}
	return salesforce.StaticSession{AccessToken: sf.AccessToken, InstanceURL: sf.InstanceURL, TenantID: sf.TenantID}
}

// oauthCredentials are the OAuth session source. They are built on first
// use, so building an engine needs no token store yet, and a problem (an
// unreadable key file, no stored login) surfaces as the first session's
// error.
type oauthCredentials struct {
	auth   integration.Auth
	caFile string
	log    *slog.Logger

	once  sync.Once
	creds *salesforce.Credentials
	err   error
}

func (o *oauthCredentials) get() (*salesforce.Credentials, error) {
	o.once.Do(func() {
		store, _, err := o.auth.OpenTokenStore()
		if err != nil {
			o.err = err
			return
		}
		o.creds, o.err = salesforce.NewCredentials(o.auth.SalesforceConfig(o.caFile, o.log), store)
	})
	return o.creds, o.err
}

// Current returns the session in use.
func (o *oauthCredentials) Current(ctx context.Context) (salesforce.Session, error) {
	c, err := o.get()
	if err != nil {
		return salesforce.Session{}, err
	}
	return c.Current(ctx)
}

// Refresh replaces a rejected session.
func (o *oauthCredentials) Refresh(ctx context.Context, rejected salesforce.Session) (salesforce.Session, error) {
	c, err := o.get()
	if err != nil {
		return salesforce.Session{}, err
	}
	return c.Refresh(ctx, rejected)
}

// TokenRequests reports the OAuth token requests of the credentials once
// they exist, so the REST client's Stats (and sfcdc_oauth_token_requests_total)
// count the requests made behind this wrapper.
func (o *oauthCredentials) TokenRequests() int64 {
	c, err := o.get()
	if err != nil {
		return 0
	}
	return c.TokenRequests()
}
