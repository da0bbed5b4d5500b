package salesforce

import (
	"bytes"
	"strings"
	"testing"
)

// Every decoder of bytes from Salesforce (or from a stored token) must
// return a value or an error, never panic, whatever arrives.

func FuzzDecodeQueryPage(f *testing.F) {
	f.Add([]byte(`{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g5Y0000000001AAA-2000","records":[{"attributes":{"type":"Case","url":"/x"},"Id":"5005Y0000000001QAA","SystemModstamp":"2026-11-01T09:00:00.000+0000","Parent":{"attributes":{"type":"Case"},"CaseNumber":"00001001"}}]}`))
	f.Add([]byte(`{"totalSize":0,"done":true,"records":[]}`))
	f.Add([]byte(`{"done":false,"nextRecordsUrl":"https://evil.example/services/data/"}`))
	f.Add([]byte(`{"records":[null,{"a":[{"b":"2026-11-01T09:00:00.000+0000"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeQueryPage(bytes.NewReader(body))
		if err == nil && !p.Done && checkResourcePath(p.NextRecordsURL) != nil {
			t.Fatalf("accepted an unsafe nextRecordsUrl %q", p.NextRecordsURL)
		}
	})
}

func FuzzDecodeAPIError(f *testing.F) {
	f.Add(401, []byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
	f.Add(400, []byte(`[{"message":"\nSELECT\n^\nERROR","errorCode":"MALFORMED_QUERY","fields":["Id"]}]`))
	f.Add(502, []byte(`<html>Bad Gateway</html>`))
	f.Add(400, []byte(`{"message":"x","errorCode":"INVALID_FIELD"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeAPIError(status, body)
		_ = e.Error()
	})
}

func FuzzDecodeTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"00D!x","refresh_token":"5Aep","signature":"s","scope":"api","instance_url":"https://a.my.salesforce.com","id":"https://login.salesforce.com/id/00D5Y000000AbCdUAK/0055Y000000AbCdQAK","token_type":"Bearer","issued_at":"1700000000000"}`))
	f.Add([]byte(`{"access_token":"x","instance_url":"https://a","issued_at":"-1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeTokenResponse(body)
		if err == nil && (r.AccessToken == "" || r.InstanceURL == "") {
			t.Fatal("accepted a token response without access_token or instance_url")
		}
		if err != nil && r.AccessToken != "" {
			t.Fatal("returned a token with an error")
		}
		_, _, _ = parseIdentityURL(r.IDURL)
	})
}

func FuzzDecodeOAuthError(f *testing.F) {
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"expired access/refresh token"}`))
	f.Add(503, []byte(`Service Unavailable`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeOAuthError(status, body)
		if len(e.Error()) > 2000 {
			t.Fatalf("an error message of %d bytes", len(e.Error()))
		}
	})
}

func FuzzParseLimitInfo(f *testing.F) {
	f.Add("api-usage=25/15000")
	f.Add("api-usage=2/15000; api-bursts=1/750")
	f.Add("per-app-api-usage=1/2(appName=x), api-usage=3/4")
	f.Add("api-usage=-1/x")
	f.Fuzz(func(t *testing.T, header string) {
		used, limit, err := ParseLimitInfo(header)
		if err == nil && (used < 0 || limit < 0) {
			t.Fatalf("negative usage %d/%d", used, limit)
		}
	})
}

func FuzzDecodeStoredToken(f *testing.F) {
	raw, _ := encodeStoredToken(StoredToken{Flow: FlowWebServer, RefreshToken: "r", InstanceURL: "https://a.my.salesforce.com", OrgID: "00D5Y000000AbCdUAK"})
	f.Add(raw)
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tok, err := decodeStoredToken(raw)
		if err == nil && (tok.RefreshToken == "" || checkBaseURL(tok.InstanceURL) != nil) {
			t.Fatal("accepted a stored token without a refresh token or with a bad instance URL")
		}
	})
}

func FuzzDecodeUserinfo(f *testing.F) {
	f.Add([]byte(`{"user_id":"0055Y000000AbCdQAK","organization_id":"00D5Y000000AbCdUAK","preferred_username":"a@b.c"}`))
	f.Add([]byte(`{"organization_id":"00D"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := decodeUserinfo(body)
		if err == nil && !isSalesforceID(u.OrganizationID, "00D") {
			t.Fatalf("accepted org ID %q", u.OrganizationID)
		}
	})
}

func FuzzCheckInstanceURL(f *testing.F) {
	for _, s := range []string{"https://acme.my.salesforce.com", "https://127.0.0.1:8443", "http://evil.com", "https://a.salesforce.com.evil.com", "https://user@acme.my.salesforce.com"} {
		f.Add(s)
	}
	p := newHostPolicy("https://login.salesforce.com", nil)
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := p.checkInstanceURL(raw)
		if err == nil && !strings.HasPrefix(got, "https://") {
			t.Fatalf("accepted %q as %q", raw, got)
		}
	})
}
