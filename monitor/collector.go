package monitor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfcdc/sfcdc/figures"
)

// namespace prefixes every metric of the process.
const namespace = "sfcdc"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// descs are the metric families; collector.Describe announces all of them
// so the registry checks names and labels once.
var (
	descUp                = desc("up", "1 while the sfcdc process serves metrics.")
	descEvents            = desc("events_total", "Change events received from the Pub/Sub API.", "topic")
	descKeepalives        = desc("keepalives_total", "Keepalives (empty fetch responses) received.", "topic")
	descReconnects        = desc("reconnects_total", "Subscribe streams re-opened after a failure.", "topic")
	descOutstanding       = desc("outstanding_credits", "Events requested from the Pub/Sub API and not yet delivered.", "topic")
	descComments          = desc("comments_total", "Comments by upload result: new, updated, unchanged (skipped or answered unchanged), deleted, failed.", "topic", "result")
	descBillable          = desc("billable_units_total", "Comments CM bills for: created, or updated with changed text (new + updated).", "topic")
	descDeadLetters       = desc("dead_letters_total", "Events or records dead-lettered.", "topic")
	descFetchCalls        = desc("fetch_calls_total", "REST calls made to fetch full records for change events.", "topic")
	descRecordsFetched    = desc("records_fetched_total", "Records fetched over REST for change events.", "topic")
	descCheckpointAge     = desc("checkpoint_age_seconds", "Seconds since the checkpoint was last written.", "topic")
	descReplayAge         = desc("replay_age_seconds", "Age of the checkpointed position (replay IDs expire after 72 h).", "topic")
	descLag               = desc("lag_seconds", "How far processing is behind the stream: now minus the commit time of the last event received.", "topic")
	descLastEvent         = desc("last_event_timestamp_seconds", "Unix time of the last event received.", "topic")
	descLastKeepalive     = desc("last_keepalive_timestamp_seconds", "Unix time of the last keepalive received.", "topic")
	descTopicState        = desc("topic_state", "1 for the topic's current state, 0 for the others.", "topic", "state")
	descTopicReady        = desc("topic_ready", "1 when the topic counts as ready for /readyz.", "topic")
	descRESTCalls         = desc("rest_calls_total", "Salesforce REST calls sent by the process (each counts against the daily API allocation).")
	descTokenRequests     = desc("oauth_token_requests_total", "Requests to the Salesforce OAuth token endpoint (first session and refreshes).")
	descAPIUsed           = desc("api_requests_used", "The org's API requests in the last 24 h, as the last Sforce-Limit-Info header reported.")
	descAPIMax            = desc("api_requests_max", "The org's daily API request allocation, as the last Sforce-Limit-Info header reported.")
	descAPIUsageRatio     = desc("api_usage_ratio", "api_requests_used / api_requests_max.")
	allDescs              = []*prometheus.Desc{descUp, descEvents, descKeepalives, descReconnects, descOutstanding, descComments, descBillable, descDeadLetters, descFetchCalls, descRecordsFetched, descCheckpointAge, descReplayAge, descLag, descLastEvent, descLastKeepalive, descTopicState, descTopicReady, descRESTCalls, descTokenRequests, descAPIUsed, descAPIMax, descAPIUsageRatio}
	commentResultsInOrder = []string{"new", "updated", "unchanged", "deleted", "failed"}
)

// collector turns the snapshot functions into metrics at each scrape.
type collector struct {
	topics  func() []figures.Topic
	process func() Process
	ready   *readiness
	now     func() time.Time
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	ch <- gauge(descUp, 1)
	p := c.process()
	ch <- counter(descRESTCalls, p.RESTCalls)
	ch <- counter(descTokenRequests, p.TokenRequests)
	if p.APIUsageKnown {
		ch <- gaugeInt(descAPIUsed, p.APIRequestsUsed)
		ch <- gaugeInt(descAPIMax, p.APIRequestsMax)
		if p.APIRequestsMax > 0 {
			ch <- gauge(descAPIUsageRatio, float64(p.APIRequestsUsed)/float64(p.APIRequestsMax))
		}
	}
	for _, t := range uniqueTopics(c.topics()) {
		c.collectTopic(ch, t, now)
	}
}

func (c *collector) collectTopic(ch chan<- prometheus.Metric, t figures.Topic, now time.Time) {
	name := t.Topic
	ch <- counter(descEvents, t.Events, name)
	ch <- counter(descKeepalives, t.Keepalives, name)
	ch <- counter(descReconnects, t.Reconnects, name)
	ch <- gaugeInt(descOutstanding, t.OutstandingCredits, name)
	for i, n := range []int64{t.CommentsNew, t.CommentsUpdated, t.CommentsUnchanged, t.CommentsDeleted, t.UploadFailures} {
		ch <- counter(descComments, n, name, commentResultsInOrder[i])
	}
	ch <- counter(descBillable, t.BillableUnits(), name)
	ch <- counter(descDeadLetters, t.DeadLetters, name)
	ch <- counter(descFetchCalls, t.FetchCalls, name)
	ch <- counter(descRecordsFetched, t.RecordsFetched, name)
	// Ages and timestamps are absent while unknown: a 0 would read as
	// "just now" or "1970".
	if !t.LastCheckpointAt.IsZero() {
		ch <- gauge(descCheckpointAge, now.Sub(t.LastCheckpointAt).Seconds(), name)
	}
	if age, known := t.ReplayAgeAt(now); known {
		ch <- gauge(descReplayAge, age.Seconds(), name)
	}
	if t.Lag > 0 || !t.LastEventAt.IsZero() {
		ch <- gauge(descLag, t.Lag.Seconds(), name)
	}
	if !t.LastEventAt.IsZero() {
		ch <- gauge(descLastEvent, unixSeconds(t.LastEventAt), name)
	}
	if !t.LastKeepaliveAt.IsZero() {
		ch <- gauge(descLastKeepalive, unixSeconds(t.LastKeepaliveAt), name)
	}
	state := t.State
	if state == "" {
		state = "unknown"
	}
	known := false
	for _, s := range figures.States {
		v := 0.0
		if s == state {
			v, known = 1, true
		}
		ch <- gauge(descTopicState, v, name, string(s))
	}
	if !known { // a state added after this list; still one series per topic
		ch <- gauge(descTopicState, 1, name, string(state))
	}
	ready := 0.0
	if c.ready.check(t, now) == "" {
		ready = 1
	}
	ch <- gauge(descTopicReady, ready, name)
}

// uniqueTopics drops repeated topic names (keeping the first): a repeated
// series would make the registry fail the whole scrape.
func uniqueTopics(topics []figures.Topic) []figures.Topic {
	seen := make(map[string]bool, len(topics))
	out := topics[:0:0]
	for _, t := range topics {
		if seen[t.Topic] {
			continue
		}
		seen[t.Topic] = true
		out = append(out, t)
	}
	return out
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func counter(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return constMetric(d, prometheus.CounterValue, float64(v), labels)
}

func gaugeInt(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return constMetric(d, prometheus.GaugeValue, float64(v), labels)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return constMetric(d, prometheus.GaugeValue, v, labels)
}

// constMetric reports a bad label value (a topic name that is not UTF-8)
// as an error of that one series instead of panicking the process.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
