package pubsub_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// These tests run the subscriber against the simulated org over real
// loopback TLS sockets.

type simHarness struct {
	sim *sfsim.Sim
}

func startSim(t testing.TB, orgCfg sfsim.Config, keepalive time.Duration) *simHarness {
	t.Helper()
	s, err := sfsim.Start(sfsim.SimConfig{Org: orgCfg, PubSub: sfsim.PubSubConfig{CAFile: t.TempDir() + "/ca.pem", Keepalive: keepalive}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &simHarness{sim: s}
}

// refreshingCredentials mints a new simulator session on each refresh, as
// the OAuth credentials do against Salesforce.
type refreshingCredentials struct {
	sim *sfsim.Sim

	mu        sync.Mutex
	token     string
	refreshes int
}

func (c *refreshingCredentials) Current(context.Context) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" {
		c.token = c.sim.AccessToken
	}
	return c.session(), nil
}

func (c *refreshingCredentials) Refresh(context.Context, salesforce.Session) (salesforce.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = c.sim.Tokens.Issue()
	c.refreshes++
	return c.session(), nil
}

func (c *refreshingCredentials) session() salesforce.Session {
	return salesforce.Session{AccessToken: c.token, InstanceURL: c.sim.InstanceURL, TenantID: c.sim.Org.ID()}
}

func (h *simHarness) client(t testing.TB, creds salesforce.SessionSource, tune func(*pubsub.Config)) *pubsub.Client {
	t.Helper()
	cfg := pubsub.Config{
		Endpoint:       h.sim.PubSub.Addr(),
		CAFile:         h.sim.PubSub.CAFile(),
		BackoffInitial: 10 * time.Millisecond,
		BackoffMax:     100 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if tune != nil {
		tune(&cfg)
	}
	if creds == nil {
		creds = &refreshingCredentials{sim: h.sim}
	}
	c, err := pubsub.NewClient(cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// createCases makes n cases, one transaction each, and returns their IDs.
func (h *simHarness) createCases(t testing.TB, n int) []string {
	t.Helper()
	return createCasesIn(t, h.sim.Org, n)
}

func createCasesIn(t testing.TB, org *sfsim.Org, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id, err := org.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("Printer on fire #%d", i), "Status": "New", "Origin": "Email"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// collect reads n events, releasing each, and fails on a poison message.
func collect(t *testing.T, sub *pubsub.Subscription, n int) []*pubsub.Event {
	t.Helper()
	var got []*pubsub.Event
	timeout := time.After(60 * time.Second)
	for len(got) < n {
		select {
		case m, ok := <-sub.Messages():
			if !ok {
				t.Fatalf("subscription ended after %d of %d events: %v", len(got), n, sub.Err())
			}
			if m.Poison != nil {
				t.Fatalf("poison: %v", m.Poison)
			}
			if m.Event != nil {
				got = append(got, m.Event)
			}
			sub.Release(m)
		case <-timeout:
			t.Fatalf("timed out after %d of %d events", len(got), n)
		}
	}
	return got
}

func recordIDs(evs []*pubsub.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Header.RecordIDs...)
	}
	return out
}

func TestEveryInjectedFaultDeliversEachEventOnceInOrder(t *testing.T) {
	t.Parallel()
	faults := map[string]sfsim.FaultSettings{
		"stream ended with UNAVAILABLE": {EndStreamAfterEvents: 70},
		"connection reset":              {ResetAfterEvents: 45},
		"stalled stream":                {StallAfterEvents: 30, Once: true},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			h := startSim(t, sfsim.Config{Seed: 7}, time.Minute)
			want := h.createCases(t, 300)
			h.sim.Faults.Set(fault)
			c := h.client(t, nil, func(cfg *pubsub.Config) { cfg.Watchdog = 300 * time.Millisecond })
			sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
			defer sub.Stop()
			got := recordIDs(collect(t, sub, 300))
			if !slices.Equal(got, want) {
				t.Fatalf("received %d record IDs, not the %d created, in order", len(got), len(want))
			}
			if sub.Stats().Reconnects == 0 {
				t.Fatal("the fault never forced a reconnect")
			}
		})
	}
}

func TestTokenExpiryMidStreamRefreshesOnceAndLosesNothing(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 8}, time.Minute)
	first := h.createCases(t, 50)
	creds := &refreshingCredentials{sim: h.sim}
	c := h.client(t, creds, nil)
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := recordIDs(collect(t, sub, 50))
	h.sim.Tokens.RevokeAll() // every session expires
	second := h.createCases(t, 50)
	got = append(got, recordIDs(collect(t, sub, 50))...)
	if want := append(first, second...); !slices.Equal(got, want) {
		t.Fatal("events lost or repeated across the token expiry")
	}
	creds.mu.Lock()
	defer creds.mu.Unlock()
	if creds.refreshes != 1 {
		t.Fatalf("refreshed %d times, want exactly once", creds.refreshes)
	}
}

func TestARejectedFixedTokenEndsWithUnauthenticated(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 9}, time.Minute)
	creds := salesforce.StaticSession{AccessToken: "00D000000000001!forged", InstanceURL: h.sim.InstanceURL, TenantID: h.sim.Org.ID()}
	sub := h.client(t, creds, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{})
	for range sub.Messages() {
	}
	err := sub.Err()
	if !errors.Is(err, pubsub.ErrUnauthenticated) || !errors.Is(err, salesforce.ErrCannotRefresh) {
		t.Fatalf("got %v, want ErrUnauthenticated and ErrCannotRefresh", err)
	}
	if contains(err.Error(), "forged") {
		t.Fatal("the error shows the access token")
	}
}

// Without the CA that signed the endpoint's certificate no reconnect can
// succeed: the subscription ends with a typed error naming the fix instead
// of retrying forever.
func TestAnUntrustedCertificateEndsTheSubscriptionWithTheFix(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 9}, time.Minute)
	sub := h.client(t, nil, func(c *pubsub.Config) { c.CAFile = "" }).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{})
	for range sub.Messages() {
	}
	err := sub.Err()
	if !errors.Is(err, pubsub.ErrUntrustedCertificate) || !contains(err.Error(), "salesforce.ca_file") {
		t.Fatalf("got %v, want ErrUntrustedCertificate naming salesforce.ca_file", err)
	}
	if st := sub.Stats(); st.Reconnects != 0 {
		t.Fatalf("%d reconnects, want none: a certificate failure is not transient", st.Reconnects)
	}
}

func contains(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestAnExpiredReplayIDIsReportedNotSkipped(t *testing.T) {
	t.Parallel()
	clock := &stepClock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 10}, Clock: clock, PubSub: sfsim.PubSubConfig{CAFile: t.TempDir() + "/ca.pem"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := &simHarness{sim: s}
	h.createCases(t, 3)
	old := sfsim.EncodeReplayID(s.Bus.Tip() - 2)
	clock.Advance(73 * time.Hour)
	h.createCases(t, 1)
	creds := salesforce.StaticSession{AccessToken: s.Tokens.Issue(), InstanceURL: s.InstanceURL, TenantID: s.Org.ID()}
	sub := h.client(t, creds, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.After(old))
	for m := range sub.Messages() {
		if !m.IsKeepalive() {
			t.Fatalf("an event was delivered from an expired replay ID: %v", m)
		}
	}
	var se *pubsub.StreamError
	if err := sub.Err(); !errors.Is(err, pubsub.ErrReplayInvalid) || !errors.As(err, &se) || se.SFCode != sfsim.CodeReplayCorrupted {
		t.Fatalf("got %v, want ErrReplayInvalid with %s", err, sfsim.CodeReplayCorrupted)
	}
}

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestASlowConsumerHoldsCreditsWithinLimitsWithoutStarving(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 11}, time.Minute)
	h.createCases(t, 400)
	const capEvents = 30
	c := h.client(t, nil, func(cfg *pubsub.Config) { cfg.MaxInFlightEvents = capEvents; cfg.LowWater = 10 })
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	received := 0
	for received < 400 {
		m := receive(t, sub)
		if m.IsKeepalive() {
			continue
		}
		received++
		st := sub.Stats()
		if st.Outstanding > 100 || st.Outstanding+st.InFlight > capEvents+1 {
			t.Fatalf("after %d events: %d outstanding + %d in flight exceeds the caps (100, %d)", received, st.Outstanding, st.InFlight, capEvents)
		}
		time.Sleep(time.Millisecond) // the slow consumer
		sub.Release(m)
		// Room below the in-flight cap means credits are owed: top-ups must
		// not wait for the consumer to catch up completely.
		if received < 400 && !eventually(func() bool { s := sub.Stats(); return s.Outstanding > 0 || s.InFlight >= capEvents }) {
			st := sub.Stats()
			t.Fatalf("after %d events credits sat at 0 with room for %d more in flight", received, capEvents-st.InFlight)
		}
	}
}

func TestUnreleasedEventsStopTheFetching(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 12}, 30*time.Millisecond)
	h.createCases(t, 200)
	const capEvents = 25
	c := h.client(t, nil, func(cfg *pubsub.Config) { cfg.MaxInFlightEvents = capEvents })
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	events, keepalives := 0, 0
	for keepalives < 3 { // the server went idle: nothing more is owed
		m := <-sub.Messages()
		if m.IsKeepalive() {
			keepalives++
		} else {
			events++
		}
	}
	if events != capEvents {
		t.Fatalf("%d events handed out without a release, want exactly the cap %d", events, capEvents)
	}
}

// Once a FetchWhile gate closes (the pipeline's lease deadline passed), the
// subscription asks for no more events even while its consumer releases
// everything: only the credits already granted are delivered.
func TestAClosedFetchGateRequestsNoMoreEvents(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 14}, 30*time.Millisecond)
	h.createCases(t, 200)
	var open atomic.Bool
	open.Store(true)
	c := h.client(t, nil, func(cfg *pubsub.Config) { cfg.MaxInFlightEvents = 25 })
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest}, pubsub.FetchWhile(open.Load))
	defer sub.Stop()
	events := 0
	for events < 10 {
		if m := <-sub.Messages(); !m.IsKeepalive() {
			events++
			sub.Release(m)
		}
	}
	open.Store(false)
	owed := int(sub.Stats().Outstanding) + int(sub.Stats().InFlight) // granted before the gate closed, at most
	after, keepalives := 0, 0
	for keepalives < 3 { // the server went idle: nothing more is owed
		m := <-sub.Messages()
		if m.IsKeepalive() {
			keepalives++
			continue
		}
		after++
		sub.Release(m)
	}
	if after > owed+25 {
		t.Fatalf("%d events arrived after the gate closed, want at most the %d already granted", after, owed+25)
	}
	if total := events + after; total >= 200 {
		t.Fatalf("all %d events were delivered: the closed gate did not stop the fetching", total)
	}
}

func eventually(cond func() bool) bool {
	for range 500 {
		if cond() {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

func TestASchemaChangeMidStreamDecodesWithEachEventsSchema(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 13}, time.Minute)
	h.createCases(t, 2)
	newSchema, err := h.sim.Org.AddField("Case", sfsim.FieldSpec{Name: "Sentiment__c", Type: sfsim.TypeString})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.Org.Create("Case", sfsim.Values{"Subject": "after", "Sentiment__c": "angry"}); err != nil {
		t.Fatal(err)
	}
	sub := h.client(t, nil, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	got := collect(t, sub, 3)
	if got[0].SchemaID == got[2].SchemaID || got[2].SchemaID != newSchema {
		t.Fatalf("schema IDs %s, %s; want the third to be the new %s", got[0].SchemaID, got[2].SchemaID, newSchema)
	}
	if got[2].Fields["Sentiment__c"] != "angry" || got[0].Fields["Subject"] != "Printer on fire #0" {
		t.Fatalf("decoded %v / %v", got[0].Fields, got[2].Fields)
	}
}

func TestMixedAndCustomChannelsDecodeEveryEntity(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 14, CustomChannels: []sfsim.CustomChannel{{Name: "Support__chn", Entities: []string{"Case", "Task"}}}}, time.Minute)
	caseID := h.createCases(t, 1)[0]
	emailID, err := h.sim.Org.Create("EmailMessage", sfsim.Values{"Subject": "Re: printer", "TextBody": "It is still on fire.", "ParentId": caseID})
	if err != nil {
		t.Fatal(err)
	}
	taskID, err := h.sim.Org.Create("Task", sfsim.Values{"Subject": "Call back", "WhatId": caseID})
	if err != nil {
		t.Fatal(err)
	}
	c := h.client(t, nil, nil)
	for topic, want := range map[string][]string{
		"/data/ChangeEvents":    {"Case:" + caseID, "EmailMessage:" + emailID, "Task:" + taskID},
		"/data/Support__chn":    {"Case:" + caseID, "Task:" + taskID},
		"/data/TaskChangeEvent": {"Task:" + taskID},
	} {
		sub := c.Subscribe(t.Context(), topic, pubsub.Start{Preset: pubsub.Earliest})
		var got []string
		for _, ev := range collect(t, sub, len(want)) {
			got = append(got, ev.Header.EntityName+":"+ev.Header.RecordIDs[0])
			if ev.Topic != topic {
				t.Fatalf("event topic %q, want %q", ev.Topic, topic)
			}
		}
		sub.Stop()
		if !slices.Equal(got, want) {
			t.Fatalf("%s delivered %v, want %v", topic, got, want)
		}
	}
}

func TestChangedFieldListsNameTheChangedFields(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 15}, time.Minute)
	id := h.createCases(t, 1)[0]
	if err := h.sim.Org.Update(id, sfsim.Values{"Status": "Closed", "Origin": nil}); err != nil {
		t.Fatal(err)
	}
	sub := h.client(t, nil, nil).Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	update := collect(t, sub, 2)[1]
	hdr := update.Header
	if hdr.ChangeType != "UPDATE" || !slices.Contains(hdr.ChangedFields, "Status") || !slices.Contains(hdr.ChangedFields, "LastModifiedDate") || !slices.Equal(hdr.NulledFields, []string{"Origin"}) {
		t.Fatalf("header %+v", hdr)
	}
	if update.Fields["Status"] != "Closed" || update.Fields["Subject"] != nil {
		t.Fatalf("an UPDATE must carry only changed fields: %v", update.Fields)
	}
	if len(update.ReplayID) != 8 {
		t.Fatalf("replay ID %s", hex.EncodeToString(update.ReplayID))
	}
}

func TestOneRefreshServesEveryTopicWhenTheSessionExpires(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 16}, time.Minute)
	creds := &refreshingCredentials{sim: h.sim}
	c := h.client(t, creds, nil)
	cases := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer cases.Stop()
	tasks := c.Subscribe(t.Context(), "/data/TaskChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	defer tasks.Stop()
	h.createCases(t, 1)
	if _, err := h.sim.Org.Create("Task", sfsim.Values{"Subject": "before"}); err != nil {
		t.Fatal(err)
	}
	collect(t, cases, 1)
	collect(t, tasks, 1)
	h.sim.Tokens.RevokeAll()
	h.createCases(t, 1)
	if _, err := h.sim.Org.Create("Task", sfsim.Values{"Subject": "after"}); err != nil {
		t.Fatal(err)
	}
	collect(t, cases, 1)
	collect(t, tasks, 1)
	creds.mu.Lock()
	defer creds.mu.Unlock()
	if creds.refreshes != 1 {
		t.Fatalf("%d refreshes for two streams rejected together, want 1", creds.refreshes)
	}
}

func TestWriteEventsPrintsOneJSONLinePerEventUpToTheLimit(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 8}, time.Minute)
	want := h.createCases(t, 5)
	c := h.client(t, nil, nil)
	var out, errw strings.Builder
	sub := c.Subscribe(t.Context(), "/data/CaseChangeEvent", pubsub.Start{Preset: pubsub.Earliest})
	if err := pubsub.WriteEvents(&out, &errw, sub, 3); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || errw.Len() != 0 {
		t.Fatalf("printed %d lines (stderr %q), want 3:\n%s", len(lines), errw.String(), out.String())
	}
	for i, line := range lines {
		var ev pubsub.EventLine
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Header == nil || ev.Header.RecordIDs[0] != want[i] {
			t.Fatalf("line %d %q (%v): want the event of %s", i, line, err, want[i])
		}
	}
}
