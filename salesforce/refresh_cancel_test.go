package salesforce_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// A caller that gives up while its refresh is with Salesforce (a worker
// stopping, a shutdown) must not cost a rotating grant: Salesforce rotates
// the token whether or not anyone reads the answer, so the request and the
// save of the rotated token finish without the caller. Before, the
// cancelled request threw the answer away and the next refresh presented
// the rotated-out token, which revokes the grant.
func TestACallerGivingUpMidRefreshKeepsTheRotatedRefreshToken(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{AutoApprove: true, RotateRefreshTokens: true}})
	cfg := webConfig(s, t)
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	run := startLogin(t, cfg, store)
	get(t, browser(t, s.PubSub.CAFile()), run.authorizeURL)
	run.wait(t)
	if run.err != nil {
		t.Fatalf("login: %v", run.err)
	}

	s.REST.SetRefreshDelay(300 * time.Millisecond)
	creds, err := salesforce.NewCredentials(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := creds.Current(ctx); done <- err }()
	for deadline := time.Now().Add(20 * time.Second); s.REST.OAuthCounts().InFlight == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the refresh never reached the token endpoint")
		}
	}
	cancel() // the caller gives up while Salesforce processes the refresh
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); s.REST.OAuthCounts().Rotations == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Salesforce never rotated the token")
		}
	}
	s.REST.SetRefreshDelay(0)

	// A new process reads the stored token: it must be the rotated one.
	again, err := salesforce.NewCredentials(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.Current(t.Context()); err != nil {
		t.Fatalf("the next refresh after a caller gave up: %v", err)
	}
	if c := s.REST.OAuthCounts(); c.GrantsRevoked != 0 || c.ReplayRevocations != 0 || c.Refreshes != 2 {
		t.Fatalf("OAuth counts %+v; want two refreshes and no grant revoked", c)
	}
}
