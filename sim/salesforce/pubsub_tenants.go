package salesforce

import (
	"fmt"
	"strings"
)

// tenant is one org as the Pub/Sub service sees it: what a call that named
// the org in its tenantid metadata is checked against and served from.
type tenant struct {
	orgID       string
	instanceURL string // without a trailing slash
	topics      Topics
	bus         *Bus
	tokens      *Tokens
	faults      *Faults
}

// tenantSet resolves the tenantid metadata to an org, the way the shared
// api.pubsub.salesforce.com endpoint tells orgs apart: by the 18-character
// org ID or its 15-character form (reference §1.4). Built once, read-only
// afterwards, so calls resolve without a lock.
type tenantSet struct {
	byID map[string]*tenant // both the 18- and the 15-character form
}

// newTenantSet indexes the backends; two backends of one org ID are a
// configuration error, since a call could not tell them apart.
func newTenantSet(backends []PubSubBackend) (*tenantSet, error) {
	ts := &tenantSet{byID: make(map[string]*tenant, 2*len(backends))}
	for i, b := range backends {
		if len(b.OrgID) != 18 {
			return nil, fmt.Errorf("%w: Pub/Sub backend %d: org ID %q is not 18 characters", ErrInvalidConfig, i, b.OrgID)
		}
		if _, dup := ts.byID[b.OrgID[:15]]; dup {
			return nil, fmt.Errorf("%w: Pub/Sub backend %d: org ID %s is served twice", ErrInvalidConfig, i, b.OrgID)
		}
		if b.Faults == nil {
			b.Faults = &Faults{}
		}
		t := &tenant{
			orgID: b.OrgID, instanceURL: strings.TrimRight(b.InstanceURL, "/"),
			topics: b.Topics, bus: b.Bus, tokens: b.Tokens, faults: b.Faults,
		}
		ts.byID[b.OrgID] = t
		ts.byID[b.OrgID[:15]] = t
	}
	return ts, nil
}

// resolve finds the org a tenantid names; only the 15- and 18-character
// forms are org IDs.
func (ts *tenantSet) resolve(tenantID string) (*tenant, bool) {
	if len(tenantID) != 15 && len(tenantID) != 18 {
		return nil, false
	}
	t, ok := ts.byID[tenantID]
	return t, ok
}
