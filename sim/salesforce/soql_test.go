package salesforce

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// restTestClock is a settable clock for the REST and SOQL tests.
type restTestClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *restTestClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *restTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// soqlFixture is an org with four cases a minute apart, one deleted, and
// an email on the first case.
type soqlFixture struct {
	org   *Org
	cases []string // c0 … c3
	email string
	t0    time.Time
}

func newSOQLFixture(t *testing.T) *soqlFixture {
	t.Helper()
	clock := &restTestClock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	org, err := NewOrg(Config{Seed: 11}, clock, NewBus(clock, 0))
	if err != nil {
		t.Fatal(err)
	}
	f := &soqlFixture{org: org, t0: clock.Now()}
	for _, v := range []Values{
		{"Subject": "Printer on fire", "Status": "New", "Priority": "High"},
		{"Subject": "printer jammed", "Status": "Working", "Priority": "Low"},
		{"Subject": "Login fails", "Status": "New"},
		{"Subject": "Old case", "Status": "Closed", "Priority": "Low"},
	} {
		id, err := org.Create("Case", v)
		if err != nil {
			t.Fatal(err)
		}
		f.cases = append(f.cases, id)
		clock.Advance(time.Minute)
	}
	if err := org.Delete(f.cases[3]); err != nil {
		t.Fatal(err)
	}
	if f.email, err = org.Create("EmailMessage", Values{"Subject": "Re: fire", "ParentId": f.cases[0]}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *soqlFixture) run(src string, all bool) ([]string, error) {
	q, err := parseSOQL(src)
	if err != nil {
		return nil, err
	}
	b, err := f.org.bindQuery(q)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range f.org.runQuery(b, all) {
		ids = append(ids, r.ID())
	}
	return ids, nil
}

func TestSOQLSelectsTheRowsSalesforceWould(t *testing.T) {
	t.Parallel()
	f := newSOQLFixture(t)
	c := f.cases
	cases := []struct {
		name string
		soql string
		all  bool
		want []string
	}{
		{"query leaves out soft-deleted rows", "SELECT Id FROM Case", false, c[:3]},
		{"queryAll includes them", "SELECT Id FROM Case", true, c},
		{"IsDeleted filters on queryAll", "SELECT Id FROM Case WHERE IsDeleted = true", true, c[3:]},
		{"date-times compare", "SELECT Id FROM Case WHERE SystemModstamp > 2026-11-01T09:00:30Z", false, c[1:3]},
		{"date-time offsets are honoured", "SELECT Id FROM Case WHERE CreatedDate <= 2026-11-01T10:01:00.000+0100", false, c[:2]},
		{"15-character IDs match 18-character ones", "SELECT Id FROM Case WHERE Id = '" + c[1][:15] + "'", false, c[1:2]},
		{"IDs order for a tiebreak", "SELECT Id FROM Case WHERE Id > '" + c[0] + "' ORDER BY Id", false, c[1:3]},
		{"IN lists", "SELECT Id FROM Case WHERE Id IN ('" + c[0] + "', '" + c[2] + "')", false, []string{c[0], c[2]}},
		{"NOT IN lists", "SELECT Id FROM Case WHERE Status NOT IN ('New')", false, c[1:2]},
		{"string equality ignores case", "SELECT Id FROM Case WHERE Status = 'new'", false, []string{c[0], c[2]}},
		{"LIKE matches prefixes, ignoring case", "SELECT Id FROM Case WHERE Subject LIKE 'printer%'", false, c[:2]},
		{"!= matches nulls too", "SELECT Id FROM Case WHERE Priority != 'High'", false, c[1:3]},
		{"= null finds nulls", "SELECT Id FROM Case WHERE Priority = null", false, c[2:3]},
		{"AND and OR combine with parentheses", "SELECT Id FROM Case WHERE (Status = 'New' AND Priority = 'High') OR Status = 'Working'", false, c[:2]},
		{"NOT negates", "SELECT Id FROM Case WHERE NOT Status = 'New'", false, c[1:2]},
		{"ORDER BY several keys", "SELECT Id FROM Case ORDER BY Status DESC, CreatedDate ASC", false, []string{c[1], c[0], c[2]}},
		{"nulls sort first ascending", "SELECT Id FROM Case ORDER BY Priority", false, []string{c[2], c[0], c[1]}},
		{"NULLS LAST moves them", "SELECT Id FROM Case ORDER BY Priority ASC NULLS LAST", false, []string{c[0], c[1], c[2]}},
		{"LIMIT and OFFSET cut", "SELECT Id FROM Case ORDER BY CreatedDate DESC LIMIT 2 OFFSET 1", false, []string{c[1], c[0]}},
		{"parent fields filter", "SELECT Id FROM EmailMessage WHERE Parent.Subject LIKE '%fire%'", false, []string{f.email}},
		{"keywords and names ignore case", "select id from CASE where STATUS = 'Working'", false, c[1:2]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.run(tc.soql, tc.all)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBadSOQLGetsSalesforcesErrorCodes(t *testing.T) {
	t.Parallel()
	f := newSOQLFixture(t)
	cases := []struct {
		name, soql, code, says string
	}{
		{"a misspelt keyword", "SELECT Id FRM Case", "MALFORMED_QUERY", "unexpected token: FRM"},
		{"AND and OR mixed without parentheses", "SELECT Id FROM Case WHERE Status = 'New' AND Priority = 'High' OR Status = 'x'", "MALFORMED_QUERY", "unexpected token: OR"},
		{"an unterminated string", "SELECT Id FROM Case WHERE Status = 'New", "MALFORMED_QUERY", "unexpected token"},
		{"a trailing comma", "SELECT Id, FROM Case", "MALFORMED_QUERY", "unexpected token: FROM"},
		{"an unknown column", "SELECT Nope FROM Case", "INVALID_FIELD", "No such column 'Nope' on entity 'Case'"},
		{"an unknown relationship", "SELECT Parnt.Subject FROM EmailMessage", "INVALID_FIELD", "Didn't understand relationship 'Parnt'"},
		{"a quoted date-time", "SELECT Id FROM Case WHERE SystemModstamp > '2026-11-01T00:00:00Z'", "INVALID_FIELD", "must be of type dateTime and should not be enclosed in quotes"},
		{"a filter on a long text area", "SELECT Id FROM Case WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"},
		{"an unknown object", "SELECT Id FROM Nope__c", "INVALID_TYPE", "sObject type 'Nope__c' is not supported"},
		{"a malformed ID", "SELECT Id FROM Case WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"},
		{"a duplicate field", "SELECT Id, id FROM Case", "MALFORMED_QUERY", "duplicate field selected: Id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.run(tc.soql, false)
			var se *soqlError
			if !errors.As(err, &se) || se.code != tc.code || !strings.Contains(se.message, tc.says) {
				t.Fatalf("got %v, want %s saying %q", err, tc.code, tc.says)
			}
			if !strings.Contains(se.message, "ERROR at Row:1:Column:") {
				t.Fatalf("the message does not point at the problem: %q", se.message)
			}
		})
	}
}

func TestLIKEPatternsNeverBacktrackWithoutBound(t *testing.T) {
	t.Parallel()
	for pattern, s := range map[string]string{
		"a%b%c":  "axxbyyc",
		"%\\%":   "100%",
		"_b%":    "abc",
		"%%%%%x": strings.Repeat("a", 10000) + "x",
	} {
		if !likeMatch(pattern, s) {
			t.Errorf("%q does not match %q", pattern, s)
		}
	}
	if likeMatch(strings.Repeat("%a", 50)+"b", strings.Repeat("a", 5000)) {
		t.Error("matched without a b")
	}
}

func FuzzParseSOQL(f *testing.F) {
	for _, s := range []string{
		"SELECT Id, Parent.CaseNumber FROM EmailMessage WHERE SystemModstamp > 2026-01-01T00:00:00Z AND Id IN ('a','b') ORDER BY SystemModstamp DESC NULLS LAST, Id LIMIT 10 OFFSET 2",
		"SELECT COUNT() FROM Case WHERE NOT (Status = 'x' OR Subject LIKE '%\\%%')",
		"SELECT Id FROM Case WHERE Amount >= -1.5",
	} {
		f.Add(s)
	}
	clock := &restTestClock{now: time.Now()}
	org, err := NewOrg(Config{Seed: 1}, clock, NewBus(clock, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := parseSOQL(src)
		if err != nil {
			return
		}
		if b, err := org.bindQuery(q); err == nil {
			org.runQuery(b, true)
		}
	})
}
