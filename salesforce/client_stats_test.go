package salesforce_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

func TestStatsCountRESTCallsAndTokenRequestsApartAndKeepTheLastAPIUsage(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{dailyLimit: 1000})
	createCases(t, s, 3)
	creds := clientCredentials(t, s, nil)
	c := restClient(t, s, creds, nil)
	if st := c.Stats(); st.RESTCalls != 0 || st.TokenRequests != 0 || st.APIUsage.Known {
		t.Fatalf("stats before any call: %+v, want zero and usage unknown", st)
	}

	if _, err := c.Count(t.Context(), "SELECT COUNT() FROM Case"); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.RESTCalls != 1 || st.TokenRequests != 1 {
		t.Fatalf("after one query: %d REST calls and %d token requests, want 1 and 1", st.RESTCalls, st.TokenRequests)
	}
	if !st.APIUsage.Known || st.APIUsage.Limit != 1000 || st.APIUsage.Used != 1 {
		t.Fatalf("API usage after one query: %+v, want 1 of 1000 known", st.APIUsage)
	}

	// A rejected session costs a second REST call (the retry) and one token
	// request (the refresh), counted apart.
	s.Tokens.RevokeAll()
	if _, err := c.Count(t.Context(), "SELECT COUNT() FROM Case"); err != nil {
		t.Fatal(err)
	}
	st = c.Stats()
	if st.RESTCalls != 3 || st.TokenRequests != 2 {
		t.Fatalf("after a refresh: %d REST calls and %d token requests, want 3 and 2", st.RESTCalls, st.TokenRequests)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantClientCredentials]; int64(n) != st.TokenRequests {
		t.Fatalf("the simulator saw %d token requests, Stats says %d", n, st.TokenRequests)
	}
}

func TestStatsOfAFixedAccessTokenHaveNoTokenRequests(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	creds := salesforce.StaticSession{AccessToken: s.AccessToken, InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	c, err := salesforce.NewClient(salesforce.Config{CAFile: s.PubSub.CAFile()}, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if _, err := c.Count(t.Context(), "SELECT COUNT() FROM Case"); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.RESTCalls != 1 || st.TokenRequests != 0 {
		t.Fatalf("stats with a fixed token: %+v, want 1 REST call and no token request", st)
	}
}
