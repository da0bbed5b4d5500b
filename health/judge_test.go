package health_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/health"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// fresh is a topic whose figures were taken just now.
func fresh(state figures.State) figures.Topic {
	return figures.Topic{Topic: "/data/CaseChangeEvent", State: state, Holder: "host-1", UpdatedAt: now}
}

// with applies changes to a fresh topic of state.
func with(state figures.State, change func(*figures.Topic)) figures.Topic {
	t := fresh(state)
	change(&t)
	return t
}

func TestTheReplayAgeIsJudgedAgainstThe72HourRetentionAtItsBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		commitAgo                 time.Duration
		wantExpired, wantExpiring bool
		wantWarning               string
	}{
		{"a fresh position", time.Minute, false, false, ""},
		{"exactly 48 h: not yet warned", 48 * time.Hour, false, false, ""},
		{"just over 48 h: warned", 48*time.Hour + time.Second, false, true, "replay ID expires in 23h59m"},
		{"just under 72 h: warned, not expired", 72*time.Hour - time.Second, false, true, "replay ID expires in 1s"},
		{"exactly 72 h: expired", 72 * time.Hour, true, false, "replay ID EXPIRED (older than 3d)"},
		{"just over 72 h: expired", 72*time.Hour + time.Second, true, false, "replay ID EXPIRED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := with(figures.StateStopped, func(t *figures.Topic) { t.CheckpointCommitAt = now.Add(-tc.commitAgo) })
			j := health.Judge(topic, now, health.Policy{})
			if !j.ReplayAgeKnown || j.ReplayAge != tc.commitAgo || j.ReplayExpired != tc.wantExpired || j.ReplayExpiring != tc.wantExpiring {
				t.Fatalf("judgement %+v: want age %s, expired %v, expiring %v", j, tc.commitAgo, tc.wantExpired, tc.wantExpiring)
			}
			joined := strings.Join(j.Warnings, "\n")
			if tc.wantWarning == "" && strings.Contains(joined, "replay") || !strings.Contains(joined, tc.wantWarning) {
				t.Errorf("warnings %q, want %q", j.Warnings, tc.wantWarning)
			}
		})
	}
}

func TestAReplayAgeWithoutACommitTimeIsAgedFromWhenItWasReported(t *testing.T) {
	for _, tc := range []struct {
		name    string
		topic   figures.Topic
		want    time.Duration
		unknown bool
	}{
		{"reported an hour ago at 71h30m: expired now", with(figures.StateStopped, func(t *figures.Topic) {
			t.ReplayAge, t.UpdatedAt = 71*time.Hour+30*time.Minute, now.Add(-time.Hour)
		}), 72*time.Hour + 30*time.Minute, false},
		{"reported without a time", with(figures.StateStopped, func(t *figures.Topic) { t.ReplayAge, t.UpdatedAt = time.Hour, time.Time{} }),
			time.Hour, false},
		{"never reported", fresh(figures.StateStopped), 0, true},
		{"a commit time wins over the reported age", with(figures.StateStopped, func(t *figures.Topic) {
			t.ReplayAge, t.CheckpointCommitAt = 70*time.Hour, now.Add(-time.Minute)
		}), time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := health.Judge(tc.topic, now, health.Policy{})
			if j.ReplayAgeKnown == tc.unknown || j.ReplayAge != tc.want {
				t.Fatalf("age %s (known %v), want %s (known %v)", j.ReplayAge, j.ReplayAgeKnown, tc.want, !tc.unknown)
			}
		})
	}
}

func TestReadinessAndStalenessFollowStateHeartbeatAndSilence(t *testing.T) {
	const window = 330 * time.Second
	for _, tc := range []struct {
		name         string
		topic        figures.Topic
		ready, stale bool
		reason       string // in NotReady
		warning      string // in Warnings
	}{
		{"streaming with a keepalive a second ago", with(figures.StateStreaming, func(t *figures.Topic) { t.LastKeepaliveAt = now.Add(-time.Second) }),
			true, false, "", ""},
		{"streaming, silent for exactly the window", with(figures.StateStreaming, func(t *figures.Topic) { t.LastEventAt = now.Add(-window) }),
			true, false, "", ""},
		{"streaming, silent a second past the window", with(figures.StateStreaming, func(t *figures.Topic) { t.LastEventAt = now.Add(-window - time.Second) }),
			false, false, "no event or keepalive for 5m31s (monitoring.ready_window 5m30s)", "the stream may be stuck"},
		{"streaming for a minute, nothing heard yet", with(figures.StateStreaming, func(t *figures.Topic) { t.StateSince = now.Add(-time.Minute) }),
			true, false, "", ""},
		{"streaming past the window, nothing heard yet", with(figures.StateStreaming, func(t *figures.Topic) { t.StateSince = now.Add(-window - time.Second) }),
			false, false, "since it began streaming 5m31s ago", ""},
		{"heartbeat exactly 2 m old", with(figures.StateStreaming, func(t *figures.Topic) {
			t.UpdatedAt, t.LastKeepaliveAt = now.Add(-2*time.Minute), now.Add(-2*time.Minute)
		}), true, false, "", ""},
		{"heartbeat just over 2 m old: stale", with(figures.StateStreaming, func(t *figures.Topic) {
			t.UpdatedAt, t.LastKeepaliveAt = now.Add(-2*time.Minute-time.Second), now.Add(-2*time.Minute-time.Second)
		}), false, true, "stale: streaming but not updated for 2m1s", "its instance (host-1) may be gone"},
		{"a stopped topic's old heartbeat is not stale", with(figures.StateStopped, func(t *figures.Topic) { t.UpdatedAt = now.Add(-240 * time.Hour) }),
			false, false, "stopped", ""},
		{"a standby's old heartbeat is not stale", with(figures.StateStandby, func(t *figures.Topic) { t.UpdatedAt = now.Add(-time.Hour) }),
			true, false, "", ""},
		{"paused at the API budget, by design", fresh(figures.StatePaused), true, false, "", "paused: a load waits for the org's API budget"},
		{"paused but its instance gone", with(figures.StatePaused, func(t *figures.Topic) { t.UpdatedAt = now.Add(-time.Hour) }),
			false, true, "stale: paused", ""},
		{"standby", fresh(figures.StateStandby), true, false, "", ""},
		{"backfilling", fresh(figures.StateBackfilling), true, false, "", ""},
		{"recovering", fresh(figures.StateRecovering), true, false, "", ""},
		{"starting", fresh(figures.StateStarting), false, false, "starting: not subscribed yet", ""},
		{"failed, with its error on one line", with(figures.StateFailed, func(t *figures.Topic) { t.LastError = "subscribe:\n unknown topic" }),
			false, false, "failed: subscribe: unknown topic", "restart `sfcdc run` once fixed"},
		{"no state reported", figures.Topic{}, false, false, "no state reported yet", "no status yet"},
		{"a state this version does not know", fresh("hibernating"), false, false, `unknown state "hibernating"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := health.Judge(tc.topic, now, health.Policy{})
			if j.Ready != tc.ready || j.Stale != tc.stale || (j.NotReady == "") != tc.ready {
				t.Fatalf("judgement %+v: want ready %v, stale %v", j, tc.ready, tc.stale)
			}
			if !strings.Contains(j.NotReady, tc.reason) {
				t.Errorf("NotReady %q, want it to say %q", j.NotReady, tc.reason)
			}
			if joined := strings.Join(j.Warnings, "\n"); !strings.Contains(joined, tc.warning) || j.Warnings == nil {
				t.Errorf("warnings %q, want one saying %q", j.Warnings, tc.warning)
			}
		})
	}
}

func TestAPolicyOverridesTheReadyWindow(t *testing.T) {
	topic := with(figures.StateStreaming, func(t *figures.Topic) { t.LastKeepaliveAt = now.Add(-90 * time.Second) })
	if j := health.Judge(topic, now, health.Policy{ReadyWindow: time.Minute}); j.Ready {
		t.Errorf("silent for 90 s with a 1 m window: %+v, want not ready", j)
	}
	if j := health.Judge(topic, now, health.Policy{}); !j.Ready {
		t.Errorf("silent for 90 s with the default window: %+v, want ready", j)
	}
}

func TestDurationsAreShownInAtMostTwoUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 250 * time.Second: "4m10s", 125 * time.Minute: "2h5m", 76 * time.Hour: "3d4h",
		72 * time.Hour: "3d", 1500 * time.Millisecond: "1s", -time.Minute: "-1m",
	} {
		if got := health.Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}

// `sfcdc replay show` judges a bare checkpoint age by the same rule.
func TestReplayVerdictIsJudgesRuleForAnAgeAlone(t *testing.T) {
	for _, age := range []time.Duration{time.Hour, 48 * time.Hour, 48*time.Hour + time.Second, 72*time.Hour - time.Second, 72 * time.Hour, 100 * time.Hour} {
		j := health.Judge(with(figures.StateStopped, func(t *figures.Topic) { t.CheckpointCommitAt = now.Add(-age) }), now, health.Policy{})
		expired, expiring := health.ReplayVerdict(age, health.Policy{})
		if expired != j.ReplayExpired || expiring != j.ReplayExpiring {
			t.Errorf("age %s: ReplayVerdict %v/%v, Judge %v/%v", age, expired, expiring, j.ReplayExpired, j.ReplayExpiring)
		}
	}
}
