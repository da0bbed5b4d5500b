package notify

import "github.com/prometheus/client_golang/prometheus"

var (
	descNotified = prometheus.NewDesc("sfcdc_notifications_total",
		"State changes of an integration that needed a person (needs_reauth, disabled, and the recovery from them); each is logged.", nil, nil)
	descWebhook = prometheus.NewDesc("sfcdc_notification_webhook_total",
		"Notifications by their webhook outcome: sent, failed (refused or retries exhausted), dropped (a full queue or a stop).",
		[]string{"result"}, nil)
	descQueued = prometheus.NewDesc("sfcdc_notification_webhook_queued", "Notifications waiting to be posted to the webhook.", nil, nil)
)

// Collector is the Notifier's figures for /metrics: register it on the
// monitoring server's registry.
func (n *Notifier) Collector() prometheus.Collector { return collector{n} }

type collector struct{ n *Notifier }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descNotified
	ch <- descWebhook
	ch <- descQueued
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	counts := c.n.Counts()
	ch <- prometheus.MustNewConstMetric(descNotified, prometheus.CounterValue, float64(counts.Notified))
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(counts.Sent), "sent")
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(counts.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(counts.Dropped), "dropped")
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(counts.Queued))
}
