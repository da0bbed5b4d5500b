package engine

import (
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/salesforce"
)

// The figures /metrics and /readyz read at each scrape. They come from the
// daemon's snapshot and the REST client's counters (atomics), so nothing is
// pushed from the streaming path; before Run built the daemon there are no
// topics.

// Snapshot is the daemon's per-topic figures (monitor.Config.Topics reads
// it as it is); nil before Run built the daemon.
func (e *Engine) Snapshot() []figures.Topic {
	d := e.daemon.Load()
	if d == nil {
		return nil
	}
	return d.Snapshot()
}

// MonitorProcess is the REST client's counters in the monitor's terms
// (monitor.Config.Process).
func (e *Engine) MonitorProcess() monitor.Process { return monitorProcess(e.sf.Stats()) }

// monitorProcess converts the REST client's counters.
func monitorProcess(st salesforce.ClientStats) monitor.Process {
	return monitor.Process{
		RESTCalls: st.RESTCalls, TokenRequests: st.TokenRequests,
		APIRequestsUsed: int64(st.APIUsage.Used), APIRequestsMax: int64(st.APIUsage.Limit), APIUsageKnown: st.APIUsage.Known,
	}
}
