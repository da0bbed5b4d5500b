package pipeline

import (
	"time"

	"github.com/sfcdc/sfcdc/figures"
)

// summarize logs one line per topic every SummaryInterval until stop:
// what the topic does and what it did since the last line. A state change
// is logged when it happens; this line says the daemon is alive between
// them and how far behind each topic is.
//
// It holds no goroutine while it waits: a timer runs each round
// (time.AfterFunc), so the daemons of a thousand integrations in one
// sfcdc serve cost none. stop ends it: when it returns no round runs and
// none will.
func (d *Daemon) summarize() (stop func()) {
	last := map[string]figures.Topic{}
	return every(d.cfg.SummaryInterval, func() {
		for _, snap := range d.Snapshot() {
			d.logSummary(snap, last[snap.Topic])
			last[snap.Topic] = snap
		}
	})
}

// logSummary writes a topic's summary line; before is the previous
// snapshot (zero at the first line).
func (d *Daemon) logSummary(snap, before figures.Topic) {
	d.log.Info("topic summary", "topic", snap.Topic, "state", string(snap.State),
		"events", snap.Events-before.Events, "events_total", snap.Events,
		"new", snap.CommentsNew-before.CommentsNew, "updated", snap.CommentsUpdated-before.CommentsUpdated,
		"unchanged", snap.CommentsUnchanged-before.CommentsUnchanged, "deleted", snap.CommentsDeleted-before.CommentsDeleted,
		"dead_letters", snap.DeadLetters-before.DeadLetters, "lag", snap.Lag.Round(time.Millisecond),
		"since", d.cfg.SummaryInterval)
}
