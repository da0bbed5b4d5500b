// Package monitor serves the operational view of a running sfcdc process
// over HTTP: Prometheus metrics on /metrics, liveness on /healthz and
// readiness on /readyz.
//
// Its guarantee: every figure is read from the caller's snapshot functions
// at scrape time, so the streaming path pays nothing for being observed
// (no metric is updated per event), and nothing it serves can carry a
// secret, because its inputs (figures.Topic and Process) hold only counts,
// times, states, topic and object names and an already redacted error.
// Readiness (/readyz and sfcdc_topic_ready) is health.Judge's verdict, the
// same `sfcdc status` shows. Label
// values are bounded: topic, a fixed set of states and comment results,
// and, in a process that runs many integrations (Config.Integrations), the
// integration's name: one value per integration the process runs, never a
// record or comment ID.
//
// The server is one goroutine owned by Server: Start launches it, Close
// shuts it down and waits for it. The package does not import pipeline:
// it reads the pipeline's figures.Topic through the Topics function the
// process edge (cmd/sfcdc) hands it.
//
// Metrics come from github.com/prometheus/client_golang, the reference
// implementation of the exposition format, through a custom Collector
// (constant metrics built per scrape) rather than live counters.
package monitor
