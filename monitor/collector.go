package monitor

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfcdc/sfcdc/figures"
)

// namespace prefixes every metric of the process.
const namespace = "sfcdc"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// descs are the process-wide metric families; the per-topic ones are a
// topicDescs (with or without the integration label).
var (
	descUp            = desc("up", "1 while the sfcdc process serves metrics.")
	descRESTCalls     = desc("rest_calls_total", "Salesforce REST calls sent by the process (each counts against the daily API allocation).")
	descTokenRequests = desc("oauth_token_requests_total", "Requests to the Salesforce OAuth token endpoint (first session and refreshes).")
	descAPIUsed       = desc("api_requests_used", "The org's API requests in the last 24 h, as the last Sforce-Limit-Info header reported.")
	descAPIMax        = desc("api_requests_max", "The org's daily API request allocation, as the last Sforce-Limit-Info header reported.")
	descAPIUsageRatio = desc("api_usage_ratio", "api_requests_used / api_requests_max.")
	processDescs      = []*prometheus.Desc{descUp, descRESTCalls, descTokenRequests, descAPIUsed, descAPIMax, descAPIUsageRatio}

	commentResultsInOrder = []string{"new", "updated", "unchanged", "deleted", "failed"}
	// byTopic labels the per-topic series of one integration (sfcdc run);
	// byIntegration those of many (sfcdc serve), one series per
	// integration and topic, so cardinality stays bounded by what the
	// registry holds.
	byTopic       = newTopicDescs("topic")
	byIntegration = newTopicDescs("integration", "topic")
)

// topicDescs are the per-topic metric families, labelled by the topic and
// whatever comes before it.
type topicDescs struct {
	events, keepalives, reconnects, outstanding, comments, billable, deadLetters, fetchCalls, recordsFetched,
	checkpointAge, replayAge, lag, lastEvent, lastKeepalive, state, ready *prometheus.Desc
}

func newTopicDescs(labels ...string) topicDescs {
	with := func(extra ...string) []string { return append(append([]string(nil), labels...), extra...) }
	return topicDescs{
		events:         desc("events_total", "Change events received from the Pub/Sub API.", labels...),
		keepalives:     desc("keepalives_total", "Keepalives (empty fetch responses) received.", labels...),
		reconnects:     desc("reconnects_total", "Subscribe streams re-opened after a failure.", labels...),
		outstanding:    desc("outstanding_credits", "Events requested from the Pub/Sub API and not yet delivered.", labels...),
		comments:       desc("comments_total", "Comments by upload result: new, updated, unchanged (skipped or answered unchanged), deleted, failed.", with("result")...),
		billable:       desc("billable_units_total", "Comments CM bills for: created, or updated with changed text (new + updated).", labels...),
		deadLetters:    desc("dead_letters_total", "Events or records dead-lettered.", labels...),
		fetchCalls:     desc("fetch_calls_total", "REST calls made to fetch full records for change events.", labels...),
		recordsFetched: desc("records_fetched_total", "Records fetched over REST for change events.", labels...),
		checkpointAge:  desc("checkpoint_age_seconds", "Seconds since the checkpoint was last written.", labels...),
		replayAge:      desc("replay_age_seconds", "Age of the checkpointed position (replay IDs expire after 72 h).", labels...),
		lag:            desc("lag_seconds", "How far processing is behind the stream: now minus the commit time of the last event received.", labels...),
		lastEvent:      desc("last_event_timestamp_seconds", "Unix time of the last event received.", labels...),
		lastKeepalive:  desc("last_keepalive_timestamp_seconds", "Unix time of the last keepalive received.", labels...),
		state:          desc("topic_state", "1 for the topic's current state, 0 for the others.", with("state")...),
		ready:          desc("topic_ready", "1 when the topic counts as ready for /readyz.", labels...),
	}
}

func (d topicDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.events, d.keepalives, d.reconnects, d.outstanding, d.comments, d.billable, d.deadLetters, d.fetchCalls,
		d.recordsFetched, d.checkpointAge, d.replayAge, d.lag, d.lastEvent, d.lastKeepalive, d.state, d.ready}
}

// collector turns the snapshot functions into metrics at each scrape.
type collector struct {
	topics       func() []figures.Topic
	integrations func() []Integration // set: the per-topic series carry the integration label
	process      func() Process
	ready        *readiness
	now          func() time.Time
}

// descs is the per-topic family set this collector serves: one label set
// per name, as the registry demands.
func (c *collector) descs() topicDescs {
	if c.integrations != nil {
		return byIntegration
	}
	return byTopic
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append(processDescs, c.descs().all()...) {
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
	if c.integrations == nil {
		for _, t := range uniqueTopics(c.topics()) {
			c.collectTopic(ch, byTopic, t, now, t.Topic)
		}
		return
	}
	seen := map[string]bool{}
	for _, in := range c.integrations() {
		if seen[in.Name] { // a repeated series would fail the whole scrape
			continue
		}
		seen[in.Name] = true
		for _, t := range uniqueTopics(in.Topics) {
			c.collectTopic(ch, byIntegration, t, now, in.Name, t.Topic)
		}
	}
}

// collectTopic sends one topic's series; labels are its label values
// (the topic last), which also key its readiness.
func (c *collector) collectTopic(ch chan<- prometheus.Metric, d topicDescs, t figures.Topic, now time.Time, labels ...string) {
	with := func(v string) []string { return append(labels[:len(labels):len(labels)], v) }
	ch <- counter(d.events, t.Events, labels...)
	ch <- counter(d.keepalives, t.Keepalives, labels...)
	ch <- counter(d.reconnects, t.Reconnects, labels...)
	ch <- gaugeInt(d.outstanding, t.OutstandingCredits, labels...)
	for i, n := range []int64{t.CommentsNew, t.CommentsUpdated, t.CommentsUnchanged, t.CommentsDeleted, t.UploadFailures} {
		ch <- counter(d.comments, n, with(commentResultsInOrder[i])...)
	}
	ch <- counter(d.billable, t.BillableUnits(), labels...)
	ch <- counter(d.deadLetters, t.DeadLetters, labels...)
	ch <- counter(d.fetchCalls, t.FetchCalls, labels...)
	ch <- counter(d.recordsFetched, t.RecordsFetched, labels...)
	// Ages and timestamps are absent while unknown: a 0 would read as
	// "just now" or "1970".
	if !t.LastCheckpointAt.IsZero() {
		ch <- gauge(d.checkpointAge, now.Sub(t.LastCheckpointAt).Seconds(), labels...)
	}
	if age, known := t.ReplayAgeAt(now); known {
		ch <- gauge(d.replayAge, age.Seconds(), labels...)
	}
	if t.Lag > 0 || !t.LastEventAt.IsZero() {
		ch <- gauge(d.lag, t.Lag.Seconds(), labels...)
	}
	if !t.LastEventAt.IsZero() {
		ch <- gauge(d.lastEvent, unixSeconds(t.LastEventAt), labels...)
	}
	if !t.LastKeepaliveAt.IsZero() {
		ch <- gauge(d.lastKeepalive, unixSeconds(t.LastKeepaliveAt), labels...)
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
		ch <- gauge(d.state, v, with(string(s))...)
	}
	if !known { // a state added after this list; still one series per topic
		ch <- gauge(d.state, 1, with(string(state))...)
	}
	ready := 0.0
	if c.ready.check(strings.Join(labels, " "), t, now) == "" {
		ready = 1
	}
	ch <- gauge(d.ready, ready, labels...)
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
