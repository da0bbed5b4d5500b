package serve

import (
	"slices"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
)

// PollingPart names the unit of an integration that polls its objects
// without change events and retries its dead letters.
const PollingPart = "polling"

// Unit is one piece of work: one topic of an integration, or its polling
// part.
type Unit struct {
	Integration string `json:"integration"`
	// Part is a topic name ("/data/CaseChangeEvent") or PollingPart.
	Part string `json:"part"`
}

// Key names the unit in the assignment.
func (u Unit) Key() string { return u.Integration + " " + u.Part }

// UnitsOf are the units of one integration: each topic its objects stream
// from (an object's topic, or its default change event channel), sorted,
// then the polling part. Objects found at start to have no change event
// are polled by the polling part's owner; their topic's owner streams
// nothing for them.
func UnitsOf(spec integration.Spec) []Unit {
	var topics []string
	for _, om := range spec.Objects {
		t := om.Topic
		if t == "" {
			t = mapper.DefaultTopic(om.Object)
		}
		topics = append(topics, t)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	units := make([]Unit, 0, len(topics)+1)
	for _, t := range topics {
		units = append(units, Unit{Integration: spec.Name, Part: t})
	}
	return append(units, Unit{Integration: spec.Name, Part: PollingPart})
}
