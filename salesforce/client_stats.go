package salesforce

// ClientStats is what a REST client has cost so far, for monitoring: the
// calls it sent, the OAuth token requests behind its sessions, and the
// org's daily API consumption as Salesforce last reported it. It holds
// counts only, never a token or a URL.
type ClientStats struct {
	// RESTCalls counts every HTTP call sent to the REST API, the retry
	// after a refreshed session included: each one counts against the
	// org's daily allocation.
	RESTCalls int64
	// TokenRequests counts requests to the OAuth token endpoint made by the
	// client's credentials (the first session and every refresh), when
	// they report it (see TokenRequestCounter); zero otherwise, e.g. for a
	// fixed access token.
	TokenRequests int64
	// APIUsage is the last Sforce-Limit-Info api-usage the org reported
	// (Known is false before the first answer carrying it).
	APIUsage APIUsage
}

// TokenRequestCounter is implemented by session sources that count their
// OAuth token requests; *Credentials does.
type TokenRequestCounter interface {
	TokenRequests() int64
}

// TokenRequests counts the token requests these credentials sent (failed
// ones included): one for the first session and one per refresh. Monitoring
// reads it to see a refresh loop, which would otherwise show only as
// Salesforce throttling the login endpoint.
func (c *Credentials) TokenRequests() int64 { return c.tokenRequests.Load() }

// Stats reads the client's counters; it takes one short lock and is cheap
// enough to call at every metrics scrape.
func (c *Client) Stats() ClientStats {
	st := ClientStats{APIUsage: c.Usage()}
	st.RESTCalls = st.APIUsage.Calls
	if tc, ok := c.creds.(TokenRequestCounter); ok {
		st.TokenRequests = tc.TokenRequests()
	}
	return st
}
