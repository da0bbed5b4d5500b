package salesforce

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPromptAndImmediate: prompt=login (or consent) shows the form even to
// a user who approved before; immediate=true never shows one: it gets a
// code after a prior approval and immediate_unsuccessful otherwise.
func TestPromptAndImmediate(t *testing.T) {
	t.Parallel()
	approved := startRESTHarness(t, RESTConfig{App: ConnectedApp{AutoApprove: true}})
	fresh := startRESTHarness(t, RESTConfig{})
	authorize := func(h *restHarness, extra url.Values) answer {
		q := url.Values{"response_type": {"code"}, "client_id": {h.sim.REST.App().ClientID}, "redirect_uri": {"http://localhost:1/oauth2/callback"}, "state": {"s"}}
		for k, v := range extra {
			q[k] = v
		}
		return h.call(t, "GET", "/services/oauth2/authorize?"+q.Encode(), "", nil, nil)
	}
	for _, prompt := range []string{"login", "consent", "login consent"} {
		if a := authorize(approved, url.Values{"prompt": {prompt}}); a.status != http.StatusOK || !strings.Contains(string(a.body), `name="decision" value="allow"`) {
			t.Errorf("prompt=%s after a prior approval: %d, want the form", prompt, a.status)
		}
	}
	location := func(a answer) url.Values {
		u, err := url.Parse(a.header.Get("Location"))
		if err != nil || a.status != http.StatusFound {
			t.Fatalf("%d, Location %q", a.status, a.header.Get("Location"))
		}
		return u.Query()
	}
	if q := location(authorize(approved, url.Values{"immediate": {"true"}})); q.Get("code") == "" {
		t.Errorf("immediate=true after a prior approval: %v, want a code", q)
	}
	if q := location(authorize(fresh, url.Values{"immediate": {"true"}})); q.Get("error") != "immediate_unsuccessful" || q.Get("state") != "s" {
		t.Errorf("immediate=true without one: %v, want error=immediate_unsuccessful", q)
	}
	if q := location(authorize(approved, url.Values{"immediate": {"true"}, "prompt": {"login"}})); q.Get("error") != "immediate_unsuccessful" {
		t.Errorf("immediate=true with prompt=login: %v, want error=immediate_unsuccessful", q)
	}
}
