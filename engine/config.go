package engine

import (
	"slices"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/pubsub"
)

// The conversions from the configuration model into the runtime's own
// configuration types live here, not in integration, so that the model
// links none of the runtime it configures (no pipeline, no Pub/Sub client).

// DaemonConfig is the pipeline's view of the run section. Uploads drain
// for half the grace, leaving the rest for the checkpoint flush and lease
// release.
func DaemonConfig(r integration.Run, org, holder string) pipeline.DaemonConfig {
	return pipeline.DaemonConfig{
		Org: org, Holder: holder,
		Start: pipeline.NewTopicStart(r.Start), Recovery: pipeline.RecoveryPolicy(r.Recovery),
		RecoveryOverlap: r.RecoveryOverlap, StartClockSkew: r.StartClockSkew, PollingObjects: slices.Clone(r.PollingObjects),
		BudgetRetry: r.BudgetRetry, SummaryInterval: r.SummaryInterval,
		Worker: pipeline.Config{LeaseTTL: r.LeaseTTL, FlushInterval: r.FlushInterval, DrainTimeout: r.Grace() / 2},
	}
}

// PubSubConfig is the Pub/Sub client's configuration for the salesforce
// section; its Logger is the caller's to add.
func PubSubConfig(s integration.Salesforce) pubsub.Config {
	return pubsub.Config{Endpoint: s.PubSubEndpoint, CAFile: s.CAFile, Plaintext: s.Insecure, Watchdog: s.Watchdog}
}

// Topics are the Pub/Sub topics of the spec's objects, sorted, each once:
// the topics the store-only tools (`sfcdc replay`, `sfcdc status`) work on.
// The error is the mapping's (an object mapped wrong).
func Topics(spec integration.Spec) ([]string, error) {
	m, err := mapper.New(mapper.Config{Objects: spec.Objects})
	if err != nil {
		return nil, err
	}
	var topics []string
	for _, om := range m.Objects() {
		topics = append(topics, om.Topic)
	}
	slices.Sort(topics)
	return slices.Compact(topics), nil
}
