package engine

import (
	"slices"

	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/salesforce"
)

// The figures /metrics and /readyz read at each scrape. They come from the
// daemon's snapshot and the REST client's counters (atomics), so nothing is
// pushed from the streaming path; before Run built the daemon there are no
// topics.

// Snapshot is the daemon's per-topic figures; nil before Run built it.
func (e *Engine) Snapshot() []pipeline.TopicSnapshot {
	d := e.daemon.Load()
	if d == nil {
		return nil
	}
	return d.Snapshot()
}

// MonitorTopics is the topics' figures in the monitor's terms
// (monitor.Config.Topics).
func (e *Engine) MonitorTopics() []monitor.Topic { return monitorTopics(e.Snapshot()) }

// MonitorProcess is the REST client's counters in the monitor's terms
// (monitor.Config.Process).
func (e *Engine) MonitorProcess() monitor.Process { return monitorProcess(e.sf.Stats()) }

// monitorTopics converts the daemon's snapshot to the monitor's input.
func monitorTopics(snaps []pipeline.TopicSnapshot) []monitor.Topic {
	out := make([]monitor.Topic, len(snaps))
	for i, s := range snaps {
		out[i] = monitor.Topic{
			Topic: s.Topic, Objects: slices.Clone(s.Objects), State: string(s.State), Holder: s.Holder,
			Events: s.Events, Keepalives: s.Keepalives, Reconnects: s.Reconnects, OutstandingCredits: s.OutstandingCredits,
			CommentsNew: s.CommentsNew, CommentsUpdated: s.CommentsUpdated, CommentsUnchanged: s.CommentsUnchanged,
			CommentsDeleted: s.CommentsDeleted, UploadFailures: s.UploadFailures, DeadLetters: s.DeadLetters,
			FetchCalls: s.FetchCalls, RecordsFetched: s.RecordsFetched,
			LastEventAt: s.LastEventAt, LastKeepaliveAt: s.LastKeepaliveAt, LastCheckpointAt: s.LastCheckpointAt,
			ReplayAge: s.ReplayAge, Lag: s.Lag, LastError: s.LastError,
		}
	}
	return out
}

// monitorProcess converts the REST client's counters.
func monitorProcess(st salesforce.ClientStats) monitor.Process {
	return monitor.Process{
		RESTCalls: st.RESTCalls, TokenRequests: st.TokenRequests,
		APIRequestsUsed: int64(st.APIUsage.Used), APIRequestsMax: int64(st.APIUsage.Limit), APIUsageKnown: st.APIUsage.Known,
	}
}
