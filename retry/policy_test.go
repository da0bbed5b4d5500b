package retry_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/retry"
)

func TestWaitsGrowFromInitialUpToTheCap(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name   string
		policy retry.Policy
		want   []time.Duration
	}{
		{"doubling from one second, drawn lowest, capped at a minute, spread in its last third",
			retry.Policy{Initial: s, Max: time.Minute, Random: fixed(0)},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 40 * s, 40 * s}},
		{"drawn highest, each wait is half as long again, never past the cap",
			retry.Policy{Initial: s, Max: time.Minute, Random: fixed(0.999999999)},
			[]time.Duration{1500 * time.Millisecond, 3 * s, 6 * s, 12 * s, 24 * s, 48 * s, time.Minute, time.Minute}},
		{"a multiplier of three",
			retry.Policy{Initial: 100 * time.Millisecond, Max: 10 * s, Multiplier: 3, Random: fixed(0)},
			[]time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond, 2700 * time.Millisecond, 6666666667, 6666666667}},
		{"a cap below the first wait makes every wait the first",
			retry.Policy{Initial: 2 * time.Minute, Max: time.Minute, Random: fixed(0.5)},
			[]time.Duration{2 * time.Minute, 2 * time.Minute, 2 * time.Minute}},
		{"the zero policy: one second doubling to a minute",
			retry.Policy{Random: fixed(0)},
			[]time.Duration{s, 2 * s, 4 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.policy.Backoff()
			var got []time.Duration
			for range tt.want {
				w, ok := b.Next()
				if !ok {
					t.Fatalf("Next refused a wait after %v without bounds", got)
				}
				got = append(got, w)
			}
			for i := range got {
				if diff := got[i] - tt.want[i]; diff < -time.Microsecond || diff > time.Microsecond {
					t.Fatalf("waits %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestNoDrawnWaitIsShorterThanInitialOrLongerThanMaxAndTheJitterSpreadsThem(t *testing.T) {
	tests := []struct {
		name             string
		initial, maxWait time.Duration
	}{
		{"a cap close to the first wait", time.Second, 1500 * time.Millisecond},
		{"the defaults", time.Second, time.Minute},
		{"short waits, as tests use", 5 * time.Millisecond, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const draws = 300
			b := retry.Policy{Initial: tt.initial, Max: tt.maxWait}.Backoff()
			distinct := map[time.Duration]bool{}
			for i := range draws {
				w, _ := b.Next()
				if w < tt.initial || w > tt.maxWait {
					t.Fatalf("wait %d = %v, want within [%v, %v]", i, w, tt.initial, tt.maxWait)
				}
				distinct[w] = true
			}
			if len(distinct) < draws/2 {
				t.Errorf("only %d distinct waits in %d: the jitter is gone", len(distinct), draws)
			}
		})
	}
}

func TestAServerGivenWaitIsHonouredWithinInitialAndMaxRetryAfter(t *testing.T) {
	policy := retry.Policy{Initial: time.Second, Max: time.Minute, MaxRetryAfter: 5 * time.Minute, Random: fixed(0)}
	tests := []struct {
		name  string
		asked time.Duration
		want  time.Duration
	}{
		{"a wait within the bounds is taken as asked", 90 * time.Second, 90 * time.Second},
		{"a wait longer than max_retry_after is cut to it", time.Hour, 5 * time.Minute},
		{"a wait of nothing is the initial wait: no tight loop", 0, time.Second},
		{"a wait below the initial one is raised to it", 10 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := policy.Backoff()
			got, ok := b.NextAfter(tt.asked)
			if !ok || got != tt.want {
				t.Fatalf("NextAfter(%v) = %v, %v; want %v", tt.asked, got, ok, tt.want)
			}
			// The server's wait did not advance the sequence.
			if next, _ := b.Next(); next != time.Second {
				t.Errorf("the drawn wait after it is %v, want the first, 1s", next)
			}
		})
	}
	if got, _ := (retry.Policy{Max: time.Hour}).Backoff().NextAfter(2 * time.Hour); got != time.Hour {
		t.Errorf("with the default max_retry_after below max_backoff, a long Retry-After waited %v, want max_backoff 1h", got)
	}
}

// askedWait is an error carrying a Retry-After.
type askedWait struct{ d time.Duration }

func (e askedWait) Error() string                     { return "429 Too Many Requests" }
func (e askedWait) ServerWait() (time.Duration, bool) { return e.d, true }

func TestDoRetriesUntilItSucceedsAndTellsEachRetry(t *testing.T) {
	clock := newFakeClock()
	policy := retry.Policy{Initial: time.Second, Max: time.Minute, Now: clock.Now, Sleep: clock.Sleep, Random: fixed(0)}
	attempts := 0
	var told []retry.Failure
	err := policy.Do(t.Context(), retry.Call{OnRetry: func(f retry.Failure) { told = append(told, f) }}, func(context.Context) error {
		attempts++
		switch attempts {
		case 1, 2:
			return errors.New("503")
		case 3:
			return fmtWrap(askedWait{7 * time.Second})
		}
		return nil
	})
	if err != nil || attempts != 4 {
		t.Fatalf("Do = %v after %d attempts, want success on the 4th", err, attempts)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 7 * time.Second}
	if got := clock.recorded(); !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v (the third as Retry-After asked)", got, want)
	}
	if len(told) != 3 || told[0].Attempt != 1 || told[2].Attempt != 3 || told[2].Wait != 7*time.Second {
		t.Fatalf("OnRetry was told %+v", told)
	}
}

func fmtWrap(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "sync: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

func TestDoStopsAtTheAttemptAndTimeBoundsAndOnRefusedErrors(t *testing.T) {
	fatal := errors.New("400 bad request")
	tests := []struct {
		name         string
		policy       retry.Policy
		fail         error
		retryable    func(error) bool
		wantAttempts int
		wantWaits    []time.Duration
	}{
		{"six attempts at most: five waits",
			retry.Policy{Initial: time.Second, Max: time.Minute, MaxAttempts: 6, Random: fixed(0)}, errors.New("503"), nil,
			6, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}},
		{"one attempt at most: no wait",
			retry.Policy{MaxAttempts: 1}, errors.New("503"), nil, 1, nil},
		{"ten seconds in all: no wait that ends past them",
			retry.Policy{Initial: time.Second, Max: time.Minute, MaxElapsed: 10 * time.Second, Random: fixed(0)}, errors.New("503"), nil,
			4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"an error the caller refuses is not retried",
			retry.Policy{}, fatal, func(err error) bool { return !errors.Is(err, fatal) }, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tt.policy.Now, tt.policy.Sleep = clock.Now, clock.Sleep
			attempts := 0
			err := tt.policy.Do(t.Context(), retry.Call{Retryable: tt.retryable}, func(context.Context) error {
				attempts++
				return tt.fail
			})
			if err != tt.fail {
				t.Fatalf("Do = %v, want the last attempt's error %v", err, tt.fail)
			}
			if attempts != tt.wantAttempts || !slices.Equal(clock.recorded(), tt.wantWaits) {
				t.Fatalf("%d attempts with waits %v, want %d with %v", attempts, clock.recorded(), tt.wantAttempts, tt.wantWaits)
			}
		})
	}
}

func TestDoStopsWhenItsContextEndsDuringAWait(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	failure := errors.New("503")
	attempts := 0
	policy := retry.Policy{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	err := policy.Do(ctx, retry.Call{}, func(context.Context) error { attempts++; return failure })
	if err != failure || attempts != 1 {
		t.Fatalf("Do = %v after %d attempts, want the failure after one", err, attempts)
	}
}

func TestAResetBackoffStartsAgainFromInitialWithItsBoundsRenewed(t *testing.T) {
	clock := newFakeClock()
	b := retry.Policy{Initial: time.Second, MaxAttempts: 3, Now: clock.Now, Random: fixed(0)}.Backoff()
	b.Next()
	if w, ok := b.Next(); !ok || w != 2*time.Second {
		t.Fatalf("second wait %v %v", w, ok)
	}
	b.Reset()
	if w, ok := b.Next(); !ok || w != time.Second || b.Failures() != 1 {
		t.Fatalf("after Reset: wait %v %v after %d failures, want 1s after 1", w, ok, b.Failures())
	}
}
