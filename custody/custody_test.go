package custody_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Three instances share one integration's grant on a connected app that
// rotates refresh tokens, and each keeps reporting its session rejected
// from several goroutines at once. Every refresh is made under the lock
// with the stored refresh token and its rotated successor is stored before
// use, so Salesforce never sees a rotated-out token: no grant is revoked,
// no instance needs a new authorisation, and the grant in the store still
// works at the end. (Without the lock and the re-read, two instances
// refresh with the same token: the second is refused or, once the first
// rotated it, revokes the grant.)
func TestThreeInstancesRefreshingOneRotatingGrantAtOnceNeverLoseIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	const instances, goroutines, rounds = 3, 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, instances*goroutines)
	for i := range instances {
		src := w.source(t, fmt.Sprintf("instance-%d", i))
		for range goroutines {
			wg.Go(func() {
				for range rounds {
					cur, err := src.Current(t.Context())
					if err != nil {
						errs <- err
						return
					}
					next, err := src.Refresh(t.Context(), cur)
					if err != nil {
						errs <- err
						return
					}
					if next.AccessToken == cur.AccessToken {
						errs <- errors.New("Refresh handed back the rejected session")
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := w.sim.REST.OAuthCounts()
	t.Logf("%d refresh calls on 3 instances: %d token requests answered, %d rotations, %d refused in flight, %d grants revoked",
		instances*goroutines*rounds, c.Refreshes, c.Rotations, c.InFlightRefusals, c.GrantsRevoked)
	if c.GrantsRevoked != 0 || c.ReplayRevocations != 0 || c.InFlightRefusals != 0 {
		t.Fatalf("OAuth counts %+v: a rotated-out or in-flight token reached Salesforce", c)
	}
	if c.Refreshes == 0 || c.Refreshes > instances*goroutines*rounds {
		t.Fatalf("%d token requests for %d refresh calls", c.Refreshes, instances*goroutines*rounds)
	}
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	if g.NeedsReauth != "" || !g.RefreshingSince.IsZero() || g.Refreshes != int64(c.Refreshes) || g.RefreshToken.Reveal() == w.first.refresh {
		t.Fatalf("stored grant %v (needs reauth %q, marker %v, %d refreshes): want the last rotated token, no marker, every refresh counted",
			g, g.NeedsReauth, g.RefreshingSince, g.Refreshes)
	}
	// The stored grant is the live one: it refreshes once more.
	if _, err := w.source(t, "late").Refresh(t.Context(), salesforce.Session{AccessToken: g.AccessToken.Reveal()}); err != nil {
		t.Fatalf("the stored grant no longer refreshes: %v", err)
	}
}

// Another client's refresh with the same token is in flight: Salesforce
// refuses this one as "token request is already being processed", which
// is transient. The source waits and asks again, and gets a session once
// the other refresh ended; nothing is marked for re-authorisation.
func TestATokenRequestAlreadyBeingProcessedIsRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	hold := w.sim.REST.HoldRefreshes()
	other := make(chan error, 1)
	go func() {
		hc := w.httpClient(t)
		defer hc.CloseIdleConnections()
		app := w.sim.REST.App()
		resp, err := hc.PostForm(w.sim.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {w.first.refresh}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
		if err == nil {
			resp.Body.Close()
		}
		other <- err
	}()
	<-hold.Arrived() // the other refresh is in flight
	src := w.source(t, "a")
	got := make(chan error, 1)
	go func() {
		_, err := src.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access})
		got <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for w.sim.REST.OAuthCounts().InFlightRefusals == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the source's refresh never met the in-flight one")
		}
		time.Sleep(5 * time.Millisecond)
	}
	hold.Release()
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Refresh = %v; want a session after the other refresh ended", err)
	}
	if g, _ := w.vault.Load(t.Context(), integrationName); g.NeedsReauth != "" {
		t.Fatalf("marked for re-authorisation after a transient refusal: %s", g.NeedsReauth)
	}
}

// A revoked grant: the refresh is refused with invalid_grant; after one
// more read of the store the integration is marked as needing a new
// authorisation, the error matches ErrNeedsReauth and
// salesforce.ErrCannotRefresh (so workers stop instead of retrying), the
// callback hears the reason once, and another instance then learns it from
// the store without asking Salesforce again.
func TestARevokedGrantNeedsReauthAndNoInstanceAsksAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.sim.REST.RevokeRefreshTokens()
	var heard []string
	a := w.source(t, "a")
	a.NeedsReauth = func(reason string) { heard = append(heard, reason) }
	_, err := a.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access})
	if !errors.Is(err, custody.ErrNeedsReauth) || !errors.Is(err, salesforce.ErrCannotRefresh) {
		t.Fatalf("Refresh = %v; want ErrNeedsReauth and salesforce.ErrCannotRefresh", err)
	}
	if len(heard) != 1 || !strings.Contains(heard[0], "invalid_grant") || !strings.Contains(heard[0], "authorise again") {
		t.Fatalf("NeedsReauth heard %q", heard)
	}
	before := w.sim.REST.OAuthCounts().Refreshes + w.sim.REST.OAuthCounts().GrantsRevoked
	b := w.source(t, "b")
	if _, err := b.Current(t.Context()); !errors.Is(err, custody.ErrNeedsReauth) {
		t.Fatalf("another instance's Current = %v; want ErrNeedsReauth from the store", err)
	}
	if _, err := b.Refresh(t.Context(), salesforce.Session{AccessToken: "whatever"}); !errors.Is(err, custody.ErrNeedsReauth) {
		t.Fatalf("another instance's Refresh = %v; want ErrNeedsReauth from the store", err)
	}
	if after := w.sim.REST.OAuthCounts().Refreshes + w.sim.REST.OAuthCounts().GrantsRevoked; after != before {
		t.Fatal("an instance asked Salesforce again after the grant was refused")
	}
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil || g.NeedsReauth == "" || g.AccessToken != "" || !g.RefreshingSince.IsZero() {
		t.Fatalf("stored grant %v, %v: want needs_reauth, no access token, no marker", g, err)
	}
}

// cutOff starts a refresh by src whose answer never arrives (held by the
// simulator until the request times out at src's short lock TTL, as if
// the instance had stopped), and returns the grant with the marker read
// while the refresh was in flight, once the refresh gave up.
func cutOff(t *testing.T, w *world, src *custody.Source) custody.Grant {
	t.Helper()
	hold := w.sim.REST.HoldRefreshes()
	defer hold.Release()
	src.LockTTL = 300 * time.Millisecond // the request's bound too
	done := make(chan error, 1)
	go func() {
		_, err := src.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access})
		done <- err
	}()
	<-hold.Arrived()
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil || g.RefreshingSince.IsZero() || g.RefreshingBy != src.Holder {
		t.Fatalf("while the refresh is in flight the store holds %v (marker %v by %q, %v); want %s's marker", g, g.RefreshingSince, g.RefreshingBy, err, src.Holder)
	}
	if err := <-done; err == nil {
		t.Fatal("a refresh that got no answer succeeded")
	}
	return g
}

// A refresh cut off after it was sent (no answer: the instance stopped,
// or the request timed out) leaves the "refresh in flight since" marker
// in the store with the instance's name, and the next refresh says so in
// its log.
func TestARefreshCutOffAfterItWasSentLeavesItsMarker(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	cutOff(t, w, w.source(t, "doomed"))
	if g, err := w.vault.Load(t.Context(), integrationName); err != nil || g.RefreshingBy != "doomed" {
		t.Fatalf("after the refresh gave up the store holds %v (marker by %q, %v); want the marker kept", g, g.RefreshingBy, err)
	}
	if _, err := w.source(t, "next").Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.logText(), "answer never stored") {
		t.Fatalf("the next refresh did not report the stale marker; log:\n%s", w.logText())
	}
}

// With rotation on, a refresh cut off after it was sent (the instance
// SIGKILLed before it stored the answer; Salesforce rotates all the same)
// loses the grant: the next refresh presents the rotated-out token and
// Salesforce revokes the grant. That loss is visible: the grant needs
// re-authorisation with a reason naming the cut-off refresh's instance and
// time (its marker), which the NeedsReauth callback hears too.
func TestALostRotatedGrantNeedsReauthNamingTheCutOffRefresh(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	marker := cutOff(t, w, w.source(t, "doomed")) // the simulator rotated the token all the same

	var heard []string
	next := w.source(t, "next")
	next.NeedsReauth = func(reason string) { heard = append(heard, reason) }
	_, refused := next.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access})
	if refused == nil {
		t.Fatal("the refresh after the cut-off one succeeded")
	}
	if !errors.Is(refused, custody.ErrNeedsReauth) {
		t.Fatalf("the refresh after the cut-off one = %v; want ErrNeedsReauth (the rotated-out token revoked the grant)", refused)
	}
	if c := w.sim.REST.OAuthCounts(); c.ReplayRevocations != 1 {
		t.Fatalf("OAuth counts %+v; want the one revocation by a replayed token", c)
	}
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	since := marker.RefreshingSince.UTC().Format(time.RFC3339Nano)
	for what, reason := range map[string]string{"stored reason": g.NeedsReauth, "refresh's error": refused.Error(),
		"callback": strings.Join(heard, "|"), "error of a later call": errorText(t, next)} {
		for _, want := range []string{"invalid_grant", `"doomed"`, since, "never stored its answer", "authorise again"} {
			if !strings.Contains(reason, want) {
				t.Errorf("%s %q does not say %q", what, reason, want)
			}
		}
	}
	if len(heard) != 1 {
		t.Fatalf("NeedsReauth heard %d times; want once", len(heard))
	}
}

// errorText is the error another call of src returns for a grant that
// needs re-authorisation (read from the store).
func errorText(t *testing.T, src *custody.Source) string {
	_, err := src.Current(t.Context())
	if err == nil {
		t.Fatal("Current succeeded on a grant that needs re-authorisation")
	}
	return err.Error()
}

// A caller that gives up while its refresh is in flight (a worker
// stopping, a unit moving to another instance, a shutdown) does not cut
// the refresh off: with rotation, Salesforce acts on a request whose
// client went away, so the request runs on, its answer is stored and the
// grant lives on; the next refresh works and nothing is revoked.
func TestACallerGivingUpMidRefreshDoesNotLoseARotatingGrant(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	hold := w.sim.REST.HoldRefreshes()
	src := w.source(t, "leaving")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := src.Refresh(ctx, salesforce.Session{AccessToken: w.first.access})
		done <- err
	}()
	<-hold.Arrived()
	cancel()
	hold.Release()
	<-done
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil || !g.RefreshingSince.IsZero() || g.RefreshToken.Reveal() == w.first.refresh || g.Refreshes != 1 {
		t.Fatalf("after the caller gave up the store holds %v (marker %v, rotated %t, %v); want the rotated grant stored, no marker",
			g, g.RefreshingSince, g.RefreshToken.Reveal() != w.first.refresh, err)
	}
	if _, err := w.source(t, "next").Refresh(t.Context(), salesforce.Session{AccessToken: g.AccessToken.Reveal()}); err != nil {
		t.Fatalf("the next refresh: %v", err)
	}
	if c := w.sim.REST.OAuthCounts(); c.Refreshes != 2 || c.GrantsRevoked != 0 {
		t.Fatalf("OAuth counts %+v; want two refreshes, no grant revoked", c)
	}
}

// No token, secret or refresh token is in the store in plaintext, nor in
// the package's log lines or errors.
func TestNoTokenIsStoredOrLoggedInPlaintext(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	src := w.source(t, "a")
	for range 3 {
		cur, err := src.Current(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Refresh(t.Context(), cur); err != nil {
			t.Fatal(err)
		}
	}
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{w.first.refresh, w.first.access, g.RefreshToken.Reveal(), g.AccessToken.Reveal(), canaryClientSecret}
	dump := w.dumpRedis(t)
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("a secret is in Redis in plaintext")
		}
		if strings.Contains(w.logText(), s) || strings.Contains(fmt.Sprintf("%v %#v", g, g), s) {
			t.Errorf("a secret is in the log or the grant's printed form")
		}
	}
	if !strings.Contains(dump, "sfcdc:v1:") {
		t.Fatal("the stored grant holds no ciphertext: the dump saw nothing")
	}
}

// A grant nobody refreshed for longer than the period is refreshed by
// KeepFresh (an idle integration keeps its grant under a "not used for N"
// policy); one refreshed meanwhile is not refreshed again.
func TestKeepFreshRefreshesAnIdleGrantOnlyWhenItIsDue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	src := w.source(t, "a")
	clock := time.Now()
	var mu sync.Mutex
	src.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- src.KeepFresh(ctx, 40*time.Millisecond) }()
	// The stored grant has no refresh time: due at once.
	deadline := time.Now().Add(10 * time.Second)
	for w.sim.REST.OAuthCounts().Refreshes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("KeepFresh never refreshed a grant that was due")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// With the clock standing still, nothing more is due.
	time.Sleep(200 * time.Millisecond)
	if n := w.sim.REST.OAuthCounts().Refreshes; n != 1 {
		t.Fatalf("%d refreshes while nothing was due; want 1", n)
	}
	mu.Lock()
	clock = clock.Add(time.Hour)
	mu.Unlock()
	for w.sim.REST.OAuthCounts().Refreshes < 2 {
		if time.Now().After(deadline) {
			t.Fatal("KeepFresh did not refresh once the period passed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("KeepFresh = %v after cancel", err)
	}
	if c := w.sim.REST.OAuthCounts(); c.GrantsRevoked != 0 {
		t.Fatalf("OAuth counts %+v", c)
	}
}

// The same Salesforce user approves the app five more times (five other
// integrations, or an admin clicking the link again): the sixth approval
// evicts the oldest grant, the integration's. Its next refresh is refused
// and it needs a new authorisation, as Salesforce documents.
func TestASixthApprovalOfTheSameUserEvictsTheGrantAndItNeedsReauth(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	for range 5 {
		w.authorize(t)
	}
	if c := w.sim.REST.OAuthCounts(); c.Evictions != 1 {
		t.Fatalf("OAuth counts %+v; want the first grant evicted", c)
	}
	src := w.source(t, "a")
	_, err := src.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access})
	if !errors.Is(err, custody.ErrNeedsReauth) || !strings.Contains(err.Error(), "sixth approval") {
		t.Fatalf("Refresh after the eviction = %v; want ErrNeedsReauth naming the likely cause", err)
	}
}

// An answer this instance refuses (here its instance URL is on a host
// the login URL does not vouch for) still rotated the refresh token at
// Salesforce: the rotated token is stored, no session from the answer is
// used, and the grant lives on (the next refresh with the trusted login
// host works). Before, the rotated token was thrown away with the answer
// and the next refresh revoked the grant.
func TestARotatedTokenInAnAnswerRefusedHereIsKept(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	app := w.sim.REST.App()
	login, err := url.Parse(w.sim.LoginURL)
	if err != nil {
		t.Fatal(err)
	}
	if login.Hostname() != "127.0.0.1" {
		t.Fatalf("the simulator's login URL %s is not on 127.0.0.1", w.sim.LoginURL)
	}
	login.Host = "localhost:" + login.Port() // the answer's instance URL stays on 127.0.0.1: untrusted from here
	strict, err := salesforce.NewRefresher(salesforce.Config{LoginURL: login.String(), ClientID: app.ClientID,
		ClientSecret: salesforce.Secret(app.ClientSecret), CAFile: w.sim.PubSub.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(strict.Close)
	src := w.source(t, "strict")
	src.Refresher = strict
	if _, err := src.Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access}); !errors.Is(err, salesforce.ErrUntrustedURL) {
		t.Fatalf("a refresh answered with an untrusted instance URL gave %v; want ErrUntrustedURL", err)
	}
	g, err := w.vault.Load(t.Context(), integrationName)
	if err != nil || g.RefreshToken.Reveal() == w.first.refresh || !g.RefreshingSince.IsZero() || g.AccessToken.Reveal() != w.first.access {
		t.Fatalf("after the refused answer the store holds rotated %t, marker %v, the old access token %t (%v); want the rotated refresh token, no marker, no new session",
			g.RefreshToken.Reveal() != w.first.refresh, g.RefreshingSince, g.AccessToken.Reveal() == w.first.access, err)
	}
	if _, err := w.source(t, "next").Refresh(t.Context(), salesforce.Session{AccessToken: w.first.access}); err != nil {
		t.Fatalf("the next refresh: %v", err)
	}
	if c := w.sim.REST.OAuthCounts(); c.Refreshes != 2 || c.GrantsRevoked != 0 {
		t.Fatalf("OAuth counts %+v; want two refreshes, no grant revoked", c)
	}
}
