package salesforce

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRevokeRequest feeds the revocation endpoint's decoding arbitrary
// form bodies and queries: it never panics, and a token it takes for a
// refresh token parses only when this store's MAC holds.
func FuzzRevokeRequest(f *testing.F) {
	g := newGrantStore(SystemClock{})
	f.Add("POST", "token=5Aep861abc", "")
	f.Add("POST", "token=00D000000000001!xyz&token=2", "")
	f.Add("GET", "", "token=%zz")
	f.Add("POST", "token="+g.refreshToken(7, 3), "token=x")
	f.Add("POST", "%", "")
	f.Fuzz(func(t *testing.T, method, body, query string) {
		if method != http.MethodPost {
			method = http.MethodGet
		}
		r := &http.Request{
			Method: method, URL: &url.URL{Path: "/services/oauth2/revoke", RawQuery: query},
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   io.NopCloser(strings.NewReader(body)),
		}
		if method == http.MethodPost && r.ParseForm() != nil {
			return
		}
		tok := revokeTokenOf(r)
		if id, gen, ok := parseRefreshToken(g.key, tok); ok {
			if kindOf(tok) != tokenRefresh || g.refreshToken(id, gen) != tok {
				t.Fatalf("%q parsed as grant %d generation %d but is not that token", tok, id, gen)
			}
		}
	})
}

// FuzzRefreshToken: arbitrary refresh tokens never parse without the MAC,
// and every issued one parses back to its grant and generation.
func FuzzRefreshToken(f *testing.F) {
	g := newGrantStore(SystemClock{})
	f.Add(uint64(1), uint64(0), "")
	f.Add(uint64(1<<63), uint64(9), refreshTokenPrefix)
	f.Add(uint64(0), uint64(0), g.refreshToken(1, 1))
	f.Fuzz(func(t *testing.T, id, gen uint64, presented string) {
		if gotID, gotGen, ok := parseRefreshToken(g.key, g.refreshToken(id, gen)); !ok || gotID != id || gotGen != gen {
			t.Fatalf("issued token for %d/%d parses as %d/%d ok=%v", id, gen, gotID, gotGen, ok)
		}
		if pid, pgen, ok := parseRefreshToken(g.key, presented); ok && g.refreshToken(pid, pgen) != presented {
			t.Fatalf("%q parsed without being issued", presented)
		}
	})
}

// FuzzAuthorizeForms feeds the authorize query and the approval form
// arbitrary bytes: they never panic, only "allow" allows, and the
// usernames they read carry no surrounding space.
func FuzzAuthorizeForms(f *testing.F) {
	f.Add("response_type=code&client_id=x&login_hint=+a%40b.c+&scope=api%20%20refresh_token", "request=r&decision=allow&username=%20u%20")
	f.Add("%", "decision=Allow")
	f.Add("login_hint=%00", "decision=allow&decision=deny&request=")
	f.Fuzz(func(t *testing.T, query, body string) {
		q, _ := url.ParseQuery(query)
		req := authRequestOf(q)
		if req.username != strings.TrimSpace(req.username) || strings.Contains(req.scope, "  ") {
			t.Fatalf("authorize request %+v", req)
		}
		r := &http.Request{
			Method: http.MethodPost, URL: &url.URL{Path: "/services/oauth2/authorize"},
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   io.NopCloser(strings.NewReader(body)),
		}
		if r.ParseForm() != nil {
			return
		}
		d := decisionOf(r.PostForm)
		if d.allow != (r.PostForm.Get("decision") == "allow") || d.username != strings.TrimSpace(d.username) {
			t.Fatalf("decision %+v of %q", d, body)
		}
	})
}
