package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/retry"
)

// Runner runs some units of one integration until ctx ends. It calls
// report whenever its state changes (starting, backfilling, streaming). It
// returns nil when ctx ended, and an error when the integration cannot run
// for now (wrong credentials, a missing CM source…); the scheduler then
// restarts it with backoff.
type Runner interface {
	Run(ctx context.Context, in registry.Integration, units []Unit, report func(State)) error
}

// RunnerFunc is a function as a Runner.
type RunnerFunc func(ctx context.Context, in registry.Integration, units []Unit, report func(State)) error

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, in registry.Integration, units []Unit, report func(State)) error {
	return f(ctx, in, units, report)
}

// Defaults of Config.
const (
	DefaultPollInterval   = time.Second
	DefaultReportInterval = 5 * time.Second
	DefaultDisableAfter   = time.Hour
	DefaultHealthyAfter   = 2 * time.Minute
)

// Config is one instance's scheduler.
type Config struct {
	Registry *registry.Registry
	Members  *membership.Membership
	Reports  replay.ReportStore
	Runner   Runner
	// Logger; nil discards.
	Logger *slog.Logger
	// PollInterval is how often the registry version and the live set are
	// checked. Zero: DefaultPollInterval.
	PollInterval time.Duration
	// ReportInterval is how often reports are stored (each lives three
	// intervals, at least 5 s). Zero: DefaultReportInterval.
	ReportInterval time.Duration
	// Restart is the backoff between failed runs of one integration.
	// Zero: from 1 s to 5 min.
	Restart retry.Policy
	// DisableAfter is how long an integration may keep failing before it is
	// disabled (reason quota or sync_error). Zero: DefaultDisableAfter.
	DisableAfter time.Duration
	// HealthyAfter is how long a run must last for its failure to start a
	// new streak rather than continue the last one. Zero:
	// DefaultHealthyAfter.
	HealthyAfter time.Duration
	// Notify, when set, hears the state changes that need a person (into
	// needs_reauth or disabled, and the recovery from needs_reauth), each
	// once per integration: from the instance that disables it, or holds
	// its polling part (package notify sends them).
	Notify func(notify.Event)
	// AuthRecheck is how often an integration waiting for its
	// authorisation (a *WaitingError) is looked at again. Zero: 5 s.
	AuthRecheck time.Duration
	// Now is the clock of states and DisableAfter. Nil: time.Now.
	Now func() time.Time
}

// Scheduler starts and stops this instance's integration runs.
type Scheduler struct {
	cfg Config

	mu   sync.Mutex
	runs map[string]*run // by integration name
	wake chan struct{}   // a run ended: reconcile now
	// moved holds the integrations whose state changed since their report
	// was last written; movedSignal wakes the loop to write them.
	movedMu     sync.Mutex
	moved       map[string]bool
	movedSignal chan struct{}
	// authorised is closed (and replaced) when an integration got a grant,
	// waking the runs that wait for their authorisation.
	authorised chan struct{}

	// The registry as last read, reused while its version stays the same
	// (one cheap read per poll instead of decoding every integration).
	listed        []registry.Entry
	listedVersion int64
	listedAt      time.Time
	listing       int64 // counts the listings read

	// shared is share's last answer and what it was worked out from;
	// gen counts the answers worked out.
	shared struct {
		gen     int64
		listing int64
		live    []string
		wanted  map[string]registry.Integration
		mine    map[string][]Unit
	}
	// ended counts the runs that returned. settled is the share and the
	// count of a reconcile that changed nothing: until either moves, the
	// next has nothing to do (a thousand runs compared every poll were a
	// tenth of an idle instance's CPU).
	ended   atomic.Int64
	settled struct {
		ok         bool
		gen, ended int64
	}
}

// relistEvery bounds how long a listing is reused even when the version
// did not move (a record rewritten by hand, a key added to the keyring).
// Decoding and opening a thousand records every 30 s was a tenth of an
// idle instance's CPU; such edits are rare and outside the tools.
const relistEvery = 5 * time.Minute

// run is one integration running here.
type run struct {
	name    string
	units   []Unit
	version int64
	cancel  context.CancelFunc
	done    chan struct{}

	mu sync.Mutex
	// state is what the current run last said of itself.
	state State
	// failed is the error state of the current streak of failures, shown
	// instead of state while the streak lasts: a run restarted after a
	// failure says starting and streaming again before it fails again, and
	// an operator must see error (with the reason and since when) all along.
	failed State
	// failingSince is the first failure of the current streak.
	failingSince time.Time
	// waiting is the state the run waits in for a person (pending_auth,
	// needs_reauth) until it streams again; notify hears the recovery.
	waiting string
	notify  func(notify.Event)
	// moved tells the scheduler the run's state changed, so its report is
	// written within ReportLinger instead of at the next ReportInterval.
	moved func()
}

// New checks cfg and returns a scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Registry == nil || cfg.Members == nil || cfg.Reports == nil || cfg.Runner == nil {
		return nil, errors.New("serve: Registry, Members, Reports and Runner are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	if cfg.Restart.Max <= 0 {
		cfg.Restart.Max = 5 * time.Minute
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.HealthyAfter <= 0 {
		cfg.HealthyAfter = DefaultHealthyAfter
	}
	if cfg.AuthRecheck <= 0 {
		cfg.AuthRecheck = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{cfg: cfg, runs: map[string]*run{}, wake: make(chan struct{}, 1),
		moved: map[string]bool{}, movedSignal: make(chan struct{}, 1)}, nil
}

// Run reconciles until ctx ends, then stops every run, waits for each and
// removes this instance's reports.
func (s *Scheduler) Run(ctx context.Context) error {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	report := time.NewTicker(s.cfg.ReportInterval)
	defer report.Stop()
	// A state change is reported ReportLinger after it (the changes of
	// that moment together), not up to a ReportInterval later.
	soon := time.NewTimer(time.Hour)
	soon.Stop()
	defer soon.Stop()
	soonArmed := false
	first := true
	for {
		if err := s.reconcile(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("could not read the registry; the running integrations go on", "err", err.Error())
		}
		if first {
			s.storeReports(ctx)
			first = false
		}
		select {
		case <-ctx.Done():
			s.stopAll()
			return nil
		case <-poll.C:
		case <-s.cfg.Members.Changed():
		case <-s.wake:
		case <-report.C:
			s.storeReports(ctx)
		case <-s.movedSignal:
			if !soonArmed {
				soon.Reset(ReportLinger)
				soonArmed = true
			}
		case <-soon.C:
			soonArmed = false
			s.storeMovedReports(ctx)
		}
	}
}

// ReportLinger is how long after a run's state changes its report is
// written, with the other changes of that moment (a thousand integrations
// starting at once write a few rounds, not a thousand).
const ReportLinger = 100 * time.Millisecond

// markMoved records that name's state changed and wakes the loop.
func (s *Scheduler) markMoved(name string) {
	s.movedMu.Lock()
	s.moved[name] = true
	s.movedMu.Unlock()
	select {
	case s.movedSignal <- struct{}{}:
	default:
	}
}

// reconcile compares what runs here with what should, stops what should
// not and starts what should (once its previous run has returned).
func (s *Scheduler) reconcile(ctx context.Context) error {
	entries, err := s.entries(ctx)
	if err != nil {
		return err
	}
	wanted, mine := s.share(entries, s.cfg.Members.Live())
	ended := s.ended.Load()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settled.ok && s.settled.gen == s.shared.gen && s.settled.ended == ended {
		return nil
	}
	changed := false
	defer func() { s.settled.ok, s.settled.gen, s.settled.ended = !changed, s.shared.gen, ended }()
	for name, r := range s.runs {
		units, ok := mine[name]
		if ok && slices.Equal(units, r.units) && wanted[name].Version == r.version {
			continue
		}
		changed = true
		select {
		case <-r.done:
			delete(s.runs, name)
			// Its units are elsewhere now (or nowhere): its report goes at
			// once rather than when it expires.
			_ = s.cfg.Reports.DeleteReport(ctx, reportKey(name, s.cfg.Members.Instance()))
		default:
			r.cancel() // it is removed once done; then started again if still wanted
		}
	}
	for name, units := range mine {
		if _, running := s.runs[name]; running {
			continue
		}
		changed = true
		s.start(ctx, wanted[name], units)
	}
	return nil
}

// share is what this instance should run: the enabled integrations and
// its units of them among live. It is worked out again only when the
// listing or the live set changed: at a thousand integrations, the units
// and their owners every poll were a tenth of an idle instance's CPU.
// Called on Run's goroutine only.
func (s *Scheduler) share(entries []registry.Entry, live []string) (map[string]registry.Integration, map[string][]Unit) {
	if s.shared.wanted != nil && s.shared.listing == s.listing && slices.Equal(s.shared.live, live) {
		return s.shared.wanted, s.shared.mine
	}
	var all []string
	wanted := map[string]registry.Integration{}
	unitsByKey := map[string]Unit{}
	for _, e := range entries {
		if e.Err != nil || !e.Integration.Enabled {
			continue
		}
		wanted[e.Name] = e.Integration
		for _, u := range UnitsOf(e.Integration.Spec) {
			all = append(all, u.Key())
			unitsByKey[u.Key()] = u
		}
	}
	mine := map[string][]Unit{}
	for _, k := range membership.Share(all, live, s.cfg.Members.Instance()) {
		u := unitsByKey[k]
		mine[u.Integration] = append(mine[u.Integration], u)
	}
	s.shared.listing, s.shared.live, s.shared.wanted, s.shared.mine = s.listing, live, wanted, mine
	s.shared.gen++
	return wanted, mine
}

// entries is the registry's list, read again only when its version moved
// or the last read is relistEvery old.
func (s *Scheduler) entries(ctx context.Context) ([]registry.Entry, error) {
	version, err := s.cfg.Registry.Version(ctx)
	if err != nil {
		return nil, err
	}
	if s.listed != nil && version == s.listedVersion && time.Since(s.listedAt) < relistEvery {
		return s.listed, nil
	}
	entries, err := s.cfg.Registry.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Err != nil {
			s.cfg.Logger.Warn("an integration's record does not open; it is not run", "integration", e.Name, "err", e.Err.Error())
		}
	}
	s.listed, s.listedVersion, s.listedAt = entries, version, time.Now()
	s.listing++
	return entries, nil
}

// start begins one integration's run; s.mu is held.
func (s *Scheduler) start(parent context.Context, in registry.Integration, units []Unit) {
	ctx, cancel := context.WithCancel(parent)
	r := &run{name: in.Name(), units: units, version: in.Version, cancel: cancel, done: make(chan struct{}), notify: s.cfg.Notify}
	r.moved = func() { s.markMoved(r.name) }
	r.state = State{Name: StateStarting, Since: s.cfg.Now()}
	s.runs[r.name] = r
	s.cfg.Logger.Info("starting an integration here", "integration", r.name, "units", len(units))
	go func() {
		defer close(r.done)
		defer s.nudge()
		defer s.ended.Add(1)
		s.keepRunning(ctx, in, r)
	}()
}

// keepRunning runs r until ctx ends, restarting it with backoff after a
// failure and disabling the integration when failures persist.
func (s *Scheduler) keepRunning(ctx context.Context, in registry.Integration, r *run) {
	backoff := s.cfg.Restart.Backoff()
	for ctx.Err() == nil {
		started := s.cfg.Now()
		err := s.cfg.Runner.Run(ctx, in, r.units, r.report(s.cfg.Now))
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the run ended by itself")
		}
		var waiting *WaitingError
		if errors.As(err, &waiting) {
			// A person must act (authorise the integration): no retry storm,
			// no streak towards disabling; look again now and then.
			r.resetStreak()
			backoff.Reset()
			if prev := r.wait(waiting.State); prev != waiting.State && s.cfg.Notify != nil && holdsPolling(r.units) {
				s.cfg.Notify(notify.Event{Integration: r.name, State: waiting.State, Reason: waiting.Reason, Previous: prev,
					At: s.cfg.Now(), AuthenticateURL: waiting.Link})
			}
			r.report(s.cfg.Now)(State{Name: waiting.State, Reason: waiting.Reason})
			t := time.NewTimer(s.cfg.AuthRecheck)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			case <-s.authorisedSignal():
				t.Stop()
			}
			continue
		}
		now := s.cfg.Now()
		if now.Sub(started) >= s.cfg.HealthyAfter {
			// It ran long enough to count as healthy: a new streak. A run that
			// streams for seconds and fails (a missing CM source is seen at
			// the first upload) continues the streak.
			r.resetStreak()
			backoff.Reset()
		}
		since := r.fail(err, now)
		s.cfg.Logger.Warn("an integration's run failed; it restarts with backoff", "integration", r.name, "err", err.Error())
		if s.cfg.Now().Sub(since) >= s.cfg.DisableAfter {
			s.disable(ctx, r.name, err, since)
			return
		}
		wait, _ := backoff.Next()
		if retry.SleepTimer(ctx, wait) != nil {
			return
		}
	}
}

// disable turns a persistently failing integration off everywhere.
func (s *Scheduler) disable(ctx context.Context, name string, cause error, since time.Time) {
	reason := registry.ReasonSyncError
	if errors.Is(cause, ErrQuota) {
		reason = registry.ReasonQuota
	}
	// The note is stored and shown: no credential-shaped text in it.
	note := redact.Text(fmt.Sprintf("failing since %s: %v", since.UTC().Format(time.RFC3339), cause))
	if _, err := s.cfg.Registry.Disable(ctx, name, reason, note); err != nil {
		s.cfg.Logger.Error("could not disable a failing integration", "integration", name, "err", err.Error())
		return
	}
	s.cfg.Logger.Error("integration disabled after persistent failures; `sfcdc integrations enable` runs it again",
		"integration", name, "reason", string(reason), "err", cause.Error())
	if s.cfg.Notify != nil {
		s.cfg.Notify(notify.Event{Integration: name, State: notify.StateDisabled, Reason: string(reason) + ": " + note,
			Previous: StateError, At: s.cfg.Now()})
	}
}

// holdsPolling says whether units include the integration's polling part,
// which exactly one instance runs: that one speaks for the integration.
func holdsPolling(units []Unit) bool {
	for _, u := range units {
		if u.Part == PollingPart {
			return true
		}
	}
	return false
}

// report returns the run's state callback.
func (r *run) report(now func() time.Time) func(State) {
	return func(st State) {
		r.mu.Lock()
		if st.Since.IsZero() {
			st.Since = now()
		}
		changed := st.Name != r.state.Name || st.Reason != r.state.Reason
		r.state = st
		recovered := ""
		if st.Name == StateStreaming && r.waiting != "" {
			recovered, r.waiting = r.waiting, ""
		}
		notifyFn := r.notify
		r.mu.Unlock()
		if changed && r.moved != nil {
			r.moved()
		}
		if recovered == StateNeedsReauth && notifyFn != nil && holdsPolling(r.units) {
			notifyFn(notify.Event{Integration: r.name, State: notify.StateActive, Previous: recovered, Reason: "authorised again; streaming", At: st.Since})
		}
	}
}

// wait records that the run waits in state for a person and returns the
// state it was in before.
func (r *run) wait(state string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.state.Name
	if r.waiting != "" {
		prev = r.waiting
	}
	r.waiting = state
	return prev
}

func (r *run) resetStreak() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failingSince, r.failed = time.Time{}, State{}
}

// fail records a failed run and returns when the failures began.
func (r *run) fail(err error, now time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failingSince.IsZero() {
		r.failingSince = now
	}
	if r.failed.Name != StateError {
		r.failed = State{Name: StateError, Since: now}
	}
	// Stored in the reports and shown by list: no credential-shaped text.
	r.failed.Reason = redact.Text(err.Error())
	if r.moved != nil {
		r.moved()
	}
	return r.failingSince
}

// snapshot is the state to report at now: the streak's error while
// failures go on, the run's own state once there is no streak or the
// restarted run has streamed (or loaded) for healthyAfter, which ends the
// streak.
func (r *run) snapshot(now time.Time, healthyAfter time.Duration) (State, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.failingSince.IsZero() {
		working := r.state.Name == StateStreaming || r.state.Name == StateBackfilling
		if !working || now.Sub(r.state.Since) < healthyAfter || r.state.Since.Before(r.failed.Since) {
			return r.failed, r.failingSince
		}
		r.failingSince, r.failed = time.Time{}, State{}
	}
	return r.state, r.failingSince
}

// nudge asks the loop to reconcile now (a run ended).
func (s *Scheduler) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stopAll cancels every run and waits for each.
func (s *Scheduler) stopAll() {
	s.mu.Lock()
	runs := make([]*run, 0, len(s.runs))
	for _, r := range s.runs {
		r.cancel()
		runs = append(runs, r)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range runs {
		<-r.done
		if err := s.cfg.Reports.DeleteReport(ctx, reportKey(r.name, s.cfg.Members.Instance())); err != nil {
			s.cfg.Logger.Warn("could not remove a report; it expires on its own", "integration", r.name, "err", err.Error())
		}
	}
}

// Running is what runs here now: one Report per integration.
func (s *Scheduler) Running() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Report, 0, len(s.runs))
	for _, r := range s.runs {
		out = append(out, s.reportOf(r))
	}
	slices.SortFunc(out, func(a, b Report) int {
		if a.Integration < b.Integration {
			return -1
		}
		if a.Integration > b.Integration {
			return 1
		}
		return 0
	})
	return out
}

// storeMovedReports writes the reports of the runs whose state changed
// since they were last written.
// Only those are built: a thousand runs starting at once change state every
// linger, and each round would otherwise build every run's report.
func (s *Scheduler) storeMovedReports(ctx context.Context) {
	s.movedMu.Lock()
	moved := s.moved
	s.moved = map[string]bool{}
	s.movedMu.Unlock()
	reports := make([]Report, 0, len(moved))
	s.mu.Lock()
	for name := range moved {
		if r, ok := s.runs[name]; ok { // a run that ended has its report deleted
			reports = append(reports, s.reportOf(r))
		}
	}
	s.mu.Unlock()
	s.saveReports(ctx, reports)
}

// reportOf is what r says of itself now; s.mu held.
func (s *Scheduler) reportOf(r *run) Report {
	st, failing := r.snapshot(s.cfg.Now(), s.cfg.HealthyAfter)
	return Report{Integration: r.name, Instance: s.cfg.Members.Instance(), State: st,
		Units: slices.Clone(r.units), Version: r.version, FailingSince: failing}
}

// storeReports writes a report of every run here, each living three
// report intervals.
func (s *Scheduler) storeReports(ctx context.Context) {
	s.movedMu.Lock()
	clear(s.moved) // all written now
	s.movedMu.Unlock()
	s.saveReports(ctx, s.Running())
}

// saveReports writes reports in one round trip, each living three report
// intervals.
func (s *Scheduler) saveReports(ctx context.Context, running []Report) {
	if len(running) == 0 {
		return
	}
	// One round trip for all: a thousand integrations' reports written one
	// by one every 5 s were a sixth of an idle instance's CPU.
	docs := make(map[string][]byte, len(running))
	for _, rep := range running {
		if doc, err := json.Marshal(rep); err == nil {
			docs[reportKey(rep.Integration, rep.Instance)] = doc
		}
	}
	if err := s.cfg.Reports.SaveReports(ctx, docs, s.reportTTL()); err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("could not store the reports of the integrations running here", "integrations", len(docs), "err", err.Error())
	}
}

// reportTTL is how long a report lives: three report intervals, and at
// least 5 s so that a loop slowed by load does not let its reports lapse.
// A run that ends deletes its report at once.
func (s *Scheduler) reportTTL() time.Duration { return max(3*s.cfg.ReportInterval, 5*time.Second) }

// ReadReports reads every instance's reports from the store, ordered by
// integration then instance; a report that does not decode is skipped.
func ReadReports(ctx context.Context, store replay.ReportStore) ([]Report, error) {
	raw, err := store.Reports(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(raw))
	for _, doc := range raw {
		var r Report
		if json.Unmarshal(doc, &r) == nil && r.Integration != "" {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Report) int {
		switch {
		case a.Integration != b.Integration:
			if a.Integration < b.Integration {
				return -1
			}
			return 1
		case a.Instance < b.Instance:
			return -1
		case a.Instance > b.Instance:
			return 1
		}
		return 0
	})
	return out, nil
}

// Authorised wakes the runs waiting for an authorisation at once (the
// onboarding pages stored a grant) instead of at their next recheck.
func (s *Scheduler) Authorised() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorised != nil {
		close(s.authorised)
	}
	s.authorised = make(chan struct{})
}

func (s *Scheduler) authorisedSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorised == nil {
		s.authorised = make(chan struct{})
	}
	return s.authorised
}
