package pipeline

import (
	"context"
	"time"

	"github.com/sfcdc/sfcdc/figures"
)

// summarize logs one line per topic every SummaryInterval until ctx ends:
// what the topic does and what it did since the last line. A state change
// is logged when it happens; this line says the daemon is alive between
// them and how far behind each topic is.
func (d *Daemon) summarize(ctx context.Context) {
	ticker := time.NewTicker(d.cfg.SummaryInterval)
	defer ticker.Stop()
	last := map[string]figures.Topic{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, snap := range d.Snapshot() {
			d.logSummary(snap, last[snap.Topic])
			last[snap.Topic] = snap
		}
	}
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
