package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// Every answer of the simulated org lands in the class its caller acts on:
// the spent allocation is a limit (pause, do not retry soon), a server
// error is transient, a refused query is fatal.
func TestTheSimulatedOrgsAnswersAreClassedAsTheirCallersNeed(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{dailyLimit: 8})
	createCases(t, s, 1)
	c := restClient(t, s, clientCredentials(t, s, nil), nil)
	count := func() error { _, err := c.Count(t.Context(), "SELECT COUNT() FROM Case"); return err }
	cases := []struct {
		name string
		call func() error
		want salesforce.Class
	}{
		{"SOQL that does not parse", func() error { _, err := c.Count(t.Context(), "SELECT Id FRM Case"); return err }, salesforce.Fatal},
		{"an unknown field", func() error { _, err := c.Count(t.Context(), "SELECT Nope__c FROM Case"); return err }, salesforce.Fatal},
		{"an unknown object", func() error { _, err := c.Describe(t.Context(), "Nope__c"); return err }, salesforce.Fatal},
		{"a 503", func() error { s.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1}); return count() }, salesforce.Transient},
		{"a 500", func() error {
			s.RESTFaults.Set(sfsim.RESTFaultSettings{ServerErrors: 1, ServerErrorStatus: 500})
			return count()
		}, salesforce.Transient},
		{"REQUEST_LIMIT_EXCEEDED once the daily allocation is spent", func() error {
			for {
				if err := count(); err != nil {
					return err
				}
			}
		}, salesforce.Limit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := salesforce.Classify(err); got != tc.want {
				t.Fatalf("Classify(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
}

func TestATokenRequestThatFailsIsTransientOnlyWhenTheServerFailed(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	s.RESTFaults.Set(sfsim.RESTFaultSettings{TokenErrors: 1})
	creds := clientCredentials(t, s, nil)
	_, err := creds.Current(t.Context())
	if got := salesforce.Classify(err); got != salesforce.Transient || errors.Is(err, salesforce.ErrCannotRefresh) {
		t.Fatalf("a token endpoint's 503: Classify(%v) = %v, want transient, and the subscriber may try again", err, got)
	}
	// The next request within the backoff is refused locally, still transient.
	_, err = creds.Current(t.Context())
	if !errors.Is(err, salesforce.ErrRefreshBackoff) || salesforce.Classify(err) != salesforce.Transient {
		t.Fatalf("during the refresh backoff: %v classed %v, want transient", err, salesforce.Classify(err))
	}

	cfg := baseConfig(s, salesforce.FlowClientCredentials, nil)
	cfg.ClientSecret = salesforce.Secret("not-the-secret")
	wrong, err := salesforce.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = wrong.Current(t.Context())
	if salesforce.Classify(err) != salesforce.Fatal || !errors.Is(err, salesforce.ErrInvalidClient) {
		t.Fatalf("a wrong client secret: %v classed %v, want fatal", err, salesforce.Classify(err))
	}
	// The subscriber, which cannot import this package, learns it through
	// salesforce.ErrCannotRefresh; the message is the refusal's own.
	if !errors.Is(err, salesforce.ErrCannotRefresh) || strings.Contains(err.Error(), salesforce.ErrCannotRefresh.Error()) {
		t.Fatalf("a wrong client secret: %q, want it to match salesforce.ErrCannotRefresh with its own text", err)
	}
}

func TestEveryKindOfFailureHasOneClass(t *testing.T) {
	t.Parallel()
	refusedGrant := &salesforce.OAuthError{StatusCode: 400, Code: "invalid_grant", Description: "expired access/refresh token"}
	busyToken := &salesforce.OAuthError{StatusCode: 503, Code: "temporarily_unavailable"}
	cases := []struct {
		name string
		err  error
		want salesforce.Class
	}{
		{"no error has no class", nil, 0},
		{"REQUEST_LIMIT_EXCEEDED, wrapped", fmt.Errorf("query next page: %w", &salesforce.APIError{StatusCode: 403, Code: "REQUEST_LIMIT_EXCEEDED"}), salesforce.Limit},
		{"the Bulk query allocation", fmt.Errorf("%w: x", salesforce.ErrBulkLimitExceeded), salesforce.Limit},
		{"a 503", &salesforce.APIError{StatusCode: 503}, salesforce.Transient},
		{"a 429", &salesforce.APIError{StatusCode: 429}, salesforce.Transient},
		{"a 403 without access", &salesforce.APIError{StatusCode: 403, Code: "INSUFFICIENT_ACCESS"}, salesforce.Fatal},
		{"an invalid session after the one refresh", &salesforce.APIError{StatusCode: 401, Code: "INVALID_SESSION_ID"}, salesforce.Fatal},
		{"a revoked grant", refusedGrant, salesforce.Fatal},
		{"a refresh while one with the same token is in flight", &salesforce.OAuthError{StatusCode: 400, Code: "invalid_grant",
			Description: "token request is already being processed"}, salesforce.Transient},
		{"a revoked grant behind the refresh backoff", fmt.Errorf("%w: %w", salesforce.ErrRefreshBackoff, refusedGrant), salesforce.Fatal},
		{"a busy token endpoint behind the refresh backoff", fmt.Errorf("%w: %w", salesforce.ErrRefreshBackoff, busyToken), salesforce.Transient},
		{"a refused connection", &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, salesforce.Transient},
		{"a cut answer", fmt.Errorf("decode page: %w", io.ErrUnexpectedEOF), salesforce.Transient},
		{"an attempt that timed out", fmt.Errorf("query: %w", context.DeadlineExceeded), salesforce.Transient},
		{"the caller's cancellation", fmt.Errorf("query: %w", context.Canceled), salesforce.Fatal},
		{"an untrusted certificate inside a connection error", &url.Error{Op: "Get", URL: "https://x", Err: fmt.Errorf("%w: x509", salesforce.ErrUntrustedCertificate)}, salesforce.Fatal},
		{"an untrusted URL", salesforce.ErrUntrustedURL, salesforce.Fatal},
		{"not logged in", salesforce.ErrNotLoggedIn, salesforce.Fatal},
		{"an incomplete Bulk page", salesforce.ErrBulkResultsIncomplete, salesforce.Transient},
		{"anything unrecognised", errors.New("something else"), salesforce.Fatal},
	}
	for _, tc := range cases {
		if got := salesforce.Classify(tc.err); got != tc.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
