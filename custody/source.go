package custody

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
	"github.com/sfcdc/sfcdc/salesforce"
)

// lockOrg is the lease "org" under which the refresh locks live, one
// lease per integration name: the store's fenced leases are the lock.
const lockOrg = "sfcdc-grant-refresh"

// DefaultLockTTL bounds how long one refresh may hold the lock; a token
// request takes seconds at most.
const DefaultLockTTL = 30 * time.Second

// Source is one integration's sessions on one instance: it implements
// salesforce.SessionSource over the shared grant, so every instance's
// REST and Pub/Sub calls use the access token whichever instance obtained
// it last, and only one instance at a time asks Salesforce for a new one.
type Source struct {
	// Name is the integration's name (the grant's key).
	Name string
	// Vault holds the grants; Locks grants the refresh lock (the same
	// store for every instance).
	Vault *Vault
	Locks replay.LeaseStore
	// Refresher sends the token requests (the integration's connected
	// app and login host).
	Refresher *salesforce.Refresher
	// Holder names this instance in the lock.
	Holder string
	// LockTTL: zero is DefaultLockTTL.
	LockTTL time.Duration
	// Busy is the wait policy while another instance holds the lock or
	// Salesforce says the token request is already being processed.
	// Zero: 100 ms growing to 2 s with jitter, for up to a minute.
	Busy retry.Policy
	// NeedsReauth, if set, hears once per refusal why the grant is dead
	// (for the integration's state and notifications).
	NeedsReauth func(reason string)
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	current salesforce.Session
	// refreshing serialises this instance's refreshes: the store lock is
	// per holder, and every goroutine here holds as this instance.
	refreshing sync.Mutex
}

var _ salesforce.SessionSource = (*Source)(nil)

// needsReauthError is a grant refusal: it matches ErrNeedsReauth and
// salesforce.ErrCannotRefresh, so a subscriber stops instead of
// reconnecting for ever and no worker retries into a storm.
type needsReauthError struct{ name, reason string }

func (e *needsReauthError) Error() string {
	return fmt.Sprintf("integration %s: %v (%s)", quote.Value(e.name), ErrNeedsReauth, e.reason)
}

func (e *needsReauthError) Unwrap() []error {
	return []error{ErrNeedsReauth, salesforce.ErrCannotRefresh}
}

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Source) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Source) busy() *retry.Backoff {
	p := s.Busy
	if p.Initial == 0 {
		p = retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second, MaxElapsed: time.Minute}
	}
	return p.Backoff()
}

// Current returns the session to use: the one this instance holds, or the
// grant's stored one, or a refreshed one when the grant has no access
// token yet.
func (s *Source) Current(ctx context.Context) (salesforce.Session, error) {
	s.mu.Lock()
	cur := s.current
	s.mu.Unlock()
	if cur.AccessToken != "" {
		return cur, nil
	}
	g, err := s.Vault.Load(ctx, s.Name)
	if err != nil {
		return salesforce.Session{}, err
	}
	if g.NeedsReauth != "" {
		return salesforce.Session{}, &needsReauthError{name: s.Name, reason: g.NeedsReauth}
	}
	if g.AccessToken != "" {
		return s.use(g), nil
	}
	return s.Refresh(ctx, salesforce.Session{})
}

func (s *Source) use(g Grant) salesforce.Session {
	sess := salesforce.Session{AccessToken: g.AccessToken.Reveal(), InstanceURL: g.InstanceURL, TenantID: g.OrgID}
	s.mu.Lock()
	s.current = sess
	s.mu.Unlock()
	return sess
}

// Refresh returns a session other than rejected: the stored one when
// another instance (or call) already replaced it, or a new one from
// Salesforce under the integration's refresh lock.
func (s *Source) Refresh(ctx context.Context, rejected salesforce.Session) (salesforce.Session, error) {
	wait := s.busy()
	for {
		g, err := s.Vault.Load(ctx, s.Name)
		if err != nil {
			return salesforce.Session{}, err
		}
		if g.NeedsReauth != "" {
			return salesforce.Session{}, &needsReauthError{name: s.Name, reason: g.NeedsReauth}
		}
		if g.AccessToken != "" && g.AccessToken.Reveal() != rejected.AccessToken {
			return s.use(g), nil
		}
		sess, done, err := s.refreshUnderLock(ctx, rejected)
		if done {
			return sess, err
		}
		// The lock is held elsewhere, or Salesforce is busy with the same
		// token: wait, then read the grant again.
		d, ok := wait.Next()
		if !ok {
			return salesforce.Session{}, fmt.Errorf("refresh the Salesforce session of %s: %w", quote.Value(s.Name), err)
		}
		if err := retry.SleepTimer(ctx, d); err != nil {
			return salesforce.Session{}, err
		}
	}
}

// refreshUnderLock takes the lock and refreshes unless the grant changed
// meanwhile. done is false when the caller should wait and try again (err
// then says why).
func (s *Source) refreshUnderLock(ctx context.Context, rejected salesforce.Session) (sess salesforce.Session, done bool, err error) {
	ttl := s.LockTTL
	if ttl <= 0 {
		ttl = DefaultLockTTL
	}
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	lease, err := s.Locks.AcquireLease(ctx, lockOrg, s.Name, s.Holder, ttl)
	if errors.Is(err, replay.ErrLeaseHeld) {
		return salesforce.Session{}, false, fmt.Errorf("another instance is refreshing: %w", err)
	}
	if err != nil {
		return salesforce.Session{}, true, fmt.Errorf("take the refresh lock of %s: %w", quote.Value(s.Name), err)
	}
	defer func() {
		// Released even when ctx ended: the next refresh should not wait out the TTL.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.Locks.ReleaseLease(rctx, lease)
	}()

	// Read again under the lock: the previous holder may have refreshed.
	g, err := s.Vault.Load(ctx, s.Name)
	if err != nil {
		return salesforce.Session{}, true, err
	}
	if g.NeedsReauth != "" {
		return salesforce.Session{}, true, &needsReauthError{name: s.Name, reason: g.NeedsReauth}
	}
	if g.AccessToken != "" && g.AccessToken.Reveal() != rejected.AccessToken {
		return s.use(g), true, nil
	}
	if g.RefreshToken == "" {
		return salesforce.Session{}, true, fmt.Errorf("integration %s: %w", quote.Value(s.Name), ErrNoGrant)
	}
	// A marker left behind is a refresh cut off: remembered so that, if
	// Salesforce now refuses the token, the reason names it.
	cut := cutOff{since: g.RefreshingSince, by: g.RefreshingBy}
	if !cut.since.IsZero() {
		s.log().Warn("a refresh of this grant was sent and its answer never stored (the instance stopped in between); if the connected app rotates refresh tokens, the grant may be lost and need a new authorisation",
			"integration", s.Name, "refreshing_since", cut.since, "refreshing_by", cut.by)
	}
	// The marker goes in first, so a crash after Salesforce's answer is
	// visible in the store.
	g.RefreshingSince, g.RefreshingBy = s.now(), s.Holder
	if g, err = s.Vault.Save(ctx, s.Name, g); err != nil {
		return salesforce.Session{}, false, fmt.Errorf("mark the refresh of %s: %w", quote.Value(s.Name), err)
	}
	// From here to the store below, a crash loses a rotated grant
	// (Salesforce may rotate even when its answer never arrives): nothing
	// but the request, decoding, sealing and one store round trip happens
	// in between, and the log line waits until the write landed. For the
	// same reason the request outlives its caller's context (a worker
	// stopping, the instance shutting down, a unit moving away): cancelled
	// once sent, its answer would be thrown away after Salesforce acted on
	// it. The lock's TTL bounds it instead.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ttl)
	defer cancel()
	sent := time.Now()
	res, rerr := s.Refresher.Refresh(rctx, g.RefreshToken)
	answered := time.Now()
	if rerr != nil && res.RefreshToken != "" {
		// Salesforce rotated the token but its answer was refused here
		// (its instance or identity URL): keep the live refresh token,
		// use no session from it.
		g.RefreshToken = res.RefreshToken
		g.RefreshedAt, g.Refreshes = s.now(), g.Refreshes+1
		g.RefreshingSince, g.RefreshingBy = time.Time{}, ""
		if _, err := s.store(ctx, g); err != nil {
			return salesforce.Session{}, true, err
		}
		return salesforce.Session{}, true, rerr
	}
	if rerr != nil {
		return s.refused(ctx, g, cut, rerr)
	}
	g.AccessToken = salesforce.Secret(res.Session.AccessToken)
	if res.RefreshToken != "" {
		g.RefreshToken = res.RefreshToken
	}
	g.InstanceURL, g.OrgID, g.UserID, g.IssuedAt = res.Session.InstanceURL, res.Session.TenantID, res.UserID, res.IssuedAt
	g.RefreshedAt, g.Refreshes = s.now(), g.Refreshes+1
	g.RefreshingSince, g.RefreshingBy = time.Time{}, ""
	if g, err = s.store(ctx, g); err != nil {
		return salesforce.Session{}, true, err
	}
	stored := time.Now()
	s.log().Info("stored the refreshed grant", "integration", s.Name, "refreshes", g.Refreshes,
		"unstored_after_answer", stored.Sub(answered), "unstored_after_send", stored.Sub(sent))
	return s.use(g), true, nil
}

// cutOff is the marker a refresh found in the store: the time and the
// instance of an earlier refresh whose answer was never stored.
type cutOff struct {
	since time.Time
	by    string
}

// store writes a refresh's result. It must land: with rotation, the new
// refresh token is the only live one. A conflict means the lock lapsed and
// someone wrote meanwhile; Salesforce accepted this instance's token, so
// its answer is the live grant and is written over theirs.
func (s *Source) store(ctx context.Context, g Grant) (Grant, error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	saved, err := s.Vault.Save(wctx, s.Name, g)
	if errors.Is(err, replay.ErrVersionConflict) {
		if now, lerr := s.Vault.Load(wctx, s.Name); lerr == nil {
			s.log().Warn("the grant changed while this instance refreshed it (the refresh lock lapsed); writing the refreshed grant over it",
				"integration", s.Name)
			g.Version = now.Version
			saved, err = s.Vault.Save(wctx, s.Name, g)
		}
	}
	if err != nil {
		s.log().Error("the refreshed grant could not be stored; the marker stays so an operator can see it", "integration", s.Name, "err", err.Error())
		return Grant{}, fmt.Errorf("store the refreshed grant of %s: %w", quote.Value(s.Name), err)
	}
	return saved, nil
}

// refused handles a failed token request made with g's refresh token.
// cut is the marker of an earlier refresh cut off, if the grant held one:
// a refusal then most likely comes from it.
func (s *Source) refused(ctx context.Context, g Grant, cut cutOff, rerr error) (salesforce.Session, bool, error) {
	clear := func() Grant {
		g.RefreshingSince, g.RefreshingBy = time.Time{}, ""
		saved, err := s.Vault.Save(context.WithoutCancel(ctx), s.Name, g)
		if err != nil {
			return g
		}
		return saved
	}
	var oe *salesforce.OAuthError
	if !errors.As(rerr, &oe) {
		// No answer (cancelled, timed out, connection lost): Salesforce may
		// have rotated the token all the same. The marker stays, so the
		// next refresh (which may find the grant dead) says why.
		s.log().Warn("a refresh of the grant got no answer; its marker stays in the store", "integration", s.Name, "err", rerr.Error())
		return salesforce.Session{}, true, rerr
	}
	switch {
	case oe.AlreadyProcessing():
		clear()
		return salesforce.Session{}, false, rerr
	case salesforce.Classify(rerr) != salesforce.Fatal:
		clear()
		return salesforce.Session{}, true, rerr
	}
	// Refused for good, unless another instance rotated the token after
	// this one read it (the lock lapsed): one more read decides.
	now, err := s.Vault.Load(context.WithoutCancel(ctx), s.Name)
	if err == nil && now.RefreshToken != g.RefreshToken {
		return salesforce.Session{}, false, rerr
	}
	g.NeedsReauth = reauthReason(oe, cut)
	g.AccessToken = ""
	clear()
	s.log().Error("Salesforce refused the integration's grant; it needs a new authorisation", "integration", s.Name, "reason", g.NeedsReauth)
	if s.NeedsReauth != nil {
		s.NeedsReauth(g.NeedsReauth)
	}
	return salesforce.Session{}, true, &needsReauthError{name: s.Name, reason: g.NeedsReauth}
}

// reauthReason says in a few words what refused the grant and what likely
// caused it (hosted-oauth.md §1–2). A refusal of a grant whose last refresh
// was cut off names that refresh (its instance and time): with rotation,
// its answer held the only live refresh token, so the operator sees a
// lost write, not a revocation by someone.
func reauthReason(oe *salesforce.OAuthError, cut cutOff) string {
	switch {
	case oe.Code == "invalid_client":
		return "invalid_client: the connected app's consumer key or secret changed or the app was removed; update the integration and authorise again"
	case oe.Code == "invalid_grant" && !cut.since.IsZero():
		return fmt.Sprintf("invalid_grant (%s) after a refresh cut off: instance %s sent a refresh at %s and never stored its answer (it stopped between Salesforce's answer and the store write); with refresh token rotation that answer held the only live refresh token, and presenting the one before it ended the grant; authorise again",
			quote.Value(oe.Description), quote.Value(cut.by), cut.since.UTC().Format(time.RFC3339Nano))
	case oe.Code == "invalid_grant":
		return fmt.Sprintf("invalid_grant (%s): the grant was revoked, expired under the app's refresh token policy, evicted by a sixth approval of the same user, or a rotated-out refresh token was presented; authorise again",
			quote.Value(oe.Description))
	}
	return fmt.Sprintf("%s (%s); authorise again", oe.Code, quote.Value(oe.Description))
}

// Revoke revokes the grant at Salesforce and destroys it in the store.
func (s *Source) Revoke(ctx context.Context) error {
	g, err := s.Vault.Load(ctx, s.Name)
	if errors.Is(err, ErrNoGrant) {
		return nil
	}
	if err != nil {
		return err
	}
	if g.RefreshToken != "" {
		if err := s.Refresher.Revoke(ctx, g.RefreshToken); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.current = salesforce.Session{}
	s.mu.Unlock()
	return s.Vault.Delete(ctx, s.Name)
}

// DefaultFreshEvery is how often KeepFresh refreshes a grant nobody
// refreshed: at least daily, so an "expire refresh token if not used for
// N" policy of the customer's app never ends an idle integration's grant.
const DefaultFreshEvery = 12 * time.Hour

// KeepFresh refreshes the grant whenever its last refresh (by any
// instance) is older than every (zero: DefaultFreshEvery), checking every
// every/4, until ctx ends. Refreshes that another instance just did are
// not repeated (the grant is re-read under the lock), so every instance
// may run it. A grant that needs re-authorisation ends the loop.
func (s *Source) KeepFresh(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultFreshEvery
	}
	tick := time.NewTicker(every / 4)
	defer tick.Stop()
	for {
		g, err := s.Vault.Load(ctx, s.Name)
		switch {
		case errors.Is(err, ErrNoGrant):
			return err
		case err == nil && g.NeedsReauth != "":
			return &needsReauthError{name: s.Name, reason: g.NeedsReauth}
		case err == nil && s.now().Sub(g.RefreshedAt) >= every:
			if _, err := s.Refresh(ctx, salesforce.Session{AccessToken: g.AccessToken.Reveal()}); errors.Is(err, ErrNeedsReauth) {
				return err
			} else if err != nil && ctx.Err() == nil {
				s.log().Warn("a scheduled refresh of the grant failed; the next check tries again", "integration", s.Name, "err", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
