package health

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/figures"
)

// Defaults of a Policy.
const (
	// DefaultReadyWindow is how long a streaming topic may go without an
	// event or a keepalive and still be ready: Salesforce sends a
	// keepalive within 270 s of silence, plus a minute of margin.
	DefaultReadyWindow = 330 * time.Second
	// DefaultStaleAfter is how long the figures of a topic some instance
	// works on may go unrefreshed (UpdatedAt) before that instance is
	// presumed gone (killed, host lost) without writing "stopped". The
	// lease holder rewrites its status every 5 s, so this is many missed
	// writes, not one slow store round trip.
	DefaultStaleAfter = 2 * time.Minute
	// ReplayRetention is how long Salesforce keeps change events: a replay
	// ID older than this cannot be resumed.
	ReplayRetention = 72 * time.Hour
	// DefaultReplayWarnAge flags a replay position with less than a day
	// left of the retention: time to act before it expires.
	DefaultReplayWarnAge = 48 * time.Hour
)

// maxReasonBytes keeps a reason on one short line even when the last
// error it quotes is long.
const maxReasonBytes = 300

// Policy holds the thresholds of a judgement. Zero values take the
// defaults above.
type Policy struct {
	ReadyWindow   time.Duration // monitoring.ready_window
	StaleAfter    time.Duration
	ReplayWarnAge time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.ReadyWindow <= 0 {
		p.ReadyWindow = DefaultReadyWindow
	}
	if p.StaleAfter <= 0 {
		p.StaleAfter = DefaultStaleAfter
	}
	if p.ReplayWarnAge <= 0 {
		p.ReplayWarnAge = DefaultReplayWarnAge
	}
	return p
}

// Judgement is the verdict on one topic at one instant.
type Judgement struct {
	// Ready is true when the topic does its work or waits by design
	// (standby, backfilling, recovering, paused at the API budget);
	// NotReady says why not, on one line ("" when ready).
	Ready    bool
	NotReady string
	// Stale is true when a topic some instance should be working on has
	// figures older than Policy.StaleAfter: its instance may be gone.
	Stale bool
	// ReplayAge is how old the replay position is at the judged instant,
	// when ReplayAgeKnown. ReplayExpired: at or past ReplayRetention, the
	// next run recovers by backfill; ReplayExpiring: past the warning age,
	// not yet expired.
	ReplayAge      time.Duration
	ReplayAgeKnown bool
	ReplayExpired  bool
	ReplayExpiring bool
	// Warnings are what an operator should know, in words (never nil).
	Warnings []string
}

// activeStates are the states of a topic some instance is working on; only
// these can go stale.
var activeStates = []figures.State{figures.StateStarting, figures.StateStreaming, figures.StateBackfilling,
	figures.StateRecovering, figures.StatePaused}

// Judge returns the verdict on t at now. A topic without a state (no
// instance reported it yet) is not ready. For a streaming topic that has
// heard nothing yet, the ready window counts from StateSince; when that is
// unknown too, it is given the benefit of the doubt.
func Judge(t figures.Topic, now time.Time, p Policy) Judgement {
	p = p.withDefaults()
	j := Judgement{Warnings: []string{}}
	if t.State == "" {
		j.NotReady = "no state reported yet"
		j.Warnings = append(j.Warnings, "no status yet: no instance has run this topic")
		j.judgeReplayAge(t, now, p)
		return j
	}
	if idle := now.Sub(t.UpdatedAt); slices.Contains(activeStates, t.State) && !t.UpdatedAt.IsZero() && idle > p.StaleAfter {
		j.Stale = true
		holder := t.Holder
		if holder == "" {
			holder = "unknown"
		}
		j.Warnings = append(j.Warnings, fmt.Sprintf("stale: %s but not updated for %s; its instance (%s) may be gone",
			t.State, Duration(idle), holder))
	}
	j.NotReady = notReady(t, now, p)
	switch {
	case j.Stale:
		j.NotReady = fmt.Sprintf("stale: %s but not updated for %s", t.State, Duration(now.Sub(t.UpdatedAt)))
	case t.State == figures.StateStreaming && j.NotReady != "":
		j.Warnings = append(j.Warnings, j.NotReady)
	case t.State == figures.StateFailed:
		j.Warnings = append(j.Warnings, "failed: see last_error; restart `sfcdc run` once fixed")
	case t.State == figures.StatePaused:
		j.Warnings = append(j.Warnings, "paused: a load waits for the org's API budget (last_error says until when); it resumes by itself")
	}
	j.Ready = j.NotReady == ""
	j.judgeReplayAge(t, now, p)
	return j
}

// notReady is why t is not ready at now, "" when it is.
func notReady(t figures.Topic, now time.Time, p Policy) string {
	switch t.State {
	case figures.StateStreaming:
		if heard := t.LastHeard(); !heard.IsZero() {
			if silent := now.Sub(heard); silent > p.ReadyWindow {
				return fmt.Sprintf("streaming, but no event or keepalive for %s (monitoring.ready_window %s): the stream may be stuck",
					silent.Round(time.Second), p.ReadyWindow)
			}
			return ""
		}
		if !t.StateSince.IsZero() {
			if silent := now.Sub(t.StateSince); silent > p.ReadyWindow {
				return fmt.Sprintf("streaming, but no event or keepalive since it began streaming %s ago (monitoring.ready_window %s)",
					silent.Round(time.Second), p.ReadyWindow)
			}
		}
		return ""
	case figures.StateStandby, figures.StateBackfilling, figures.StateRecovering, figures.StatePaused:
		// Standby: another instance streams the topic. Backfilling and
		// recovering: REST progress, no stream to be silent yet. Paused: a
		// load waits for the org's API budget by design (its status says
		// until when); restarting this instance would not help.
		return ""
	case figures.StateStarting:
		return "starting: not subscribed yet"
	case figures.StateFailed:
		if t.LastError != "" {
			return "failed: " + OneLine(t.LastError, maxReasonBytes)
		}
		return "failed"
	case figures.StateStopped:
		return "stopped"
	}
	return "unknown state " + strconv.Quote(OneLine(string(t.State), 64))
}

// judgeReplayAge ages the replay position to now and warns before and
// after it leaves the retention.
func (j *Judgement) judgeReplayAge(t figures.Topic, now time.Time, p Policy) {
	j.ReplayAge, j.ReplayAgeKnown = t.ReplayAgeAt(now)
	if !j.ReplayAgeKnown {
		return
	}
	j.ReplayExpired, j.ReplayExpiring = ReplayVerdict(j.ReplayAge, p)
	switch {
	case j.ReplayExpired:
		j.Warnings = append(j.Warnings, fmt.Sprintf("replay ID EXPIRED (older than %s): the next run recovers by backfill", Duration(ReplayRetention)))
	case j.ReplayExpiring:
		j.Warnings = append(j.Warnings, fmt.Sprintf("replay ID expires in %s: start the worker soon", Duration(ReplayRetention-j.ReplayAge)))
	}
}

// ReplayVerdict is Judge's rule for a replay position of age alone (for
// `sfcdc replay show`, which has a checkpoint and no topic figures):
// expired at or past ReplayRetention, expiring past p.ReplayWarnAge.
func ReplayVerdict(age time.Duration, p Policy) (expired, expiring bool) {
	p = p.withDefaults()
	switch {
	case age >= ReplayRetention:
		return true, false
	case age > p.ReplayWarnAge:
		return false, true
	}
	return false, false
}

// Duration is d in at most two units, as every health message writes it:
// 45s, 4m10s, 2h5m, 3d4h.
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	d = d.Truncate(time.Second)
	const day = 24 * time.Hour
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return strconv.FormatInt(a, 10) + ua
		}
		return strconv.FormatInt(a, 10) + ua + strconv.FormatInt(b, 10) + ub
	}
	switch {
	case d >= day:
		return two(int64(d/day), "d", int64(d%day/time.Hour), "h")
	case d >= time.Hour:
		return two(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	case d >= time.Minute:
		return two(int64(d/time.Minute), "m", int64(d%time.Minute/time.Second), "s")
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// OneLine keeps s on one line of at most n bytes (whitespace runs become
// one space; a longer text is cut at a character boundary and ends in …).
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
