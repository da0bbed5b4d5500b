package salesforce

import (
	"slices"
	"strings"
)

// AllChangeEventsChannel carries the events of every entity selected for CDC.
const AllChangeEventsChannel = "/data/ChangeEvents"

// Channel is a topic the org serves.
type Channel struct {
	Topic    string
	Entities []string // entityNames whose events the topic carries
	SchemaID string   // current schema of a single-entity topic; blank for channels that mix entities
}

// Channels lists every topic: one per object selected for CDC, the
// all-entities channel, each custom channel and each platform event.
// Objects not selected for CDC have no channel of their own.
func (o *Org) Channels() []Channel {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var out []Channel
	for _, name := range o.cat.order {
		if obj := o.cat.objects[name]; obj.HasChangeEvent && obj.CDCSelected {
			out = append(out, Channel{Topic: obj.ChangeEventChannel(), Entities: []string{name}, SchemaID: o.current[name].ID})
		}
	}
	out = append(out, Channel{Topic: AllChangeEventsChannel, Entities: o.selectedEntitiesLocked()})
	for _, ch := range o.cfg.CustomChannels {
		out = append(out, Channel{Topic: "/data/" + ch.Name, Entities: slices.Clone(ch.Entities)})
	}
	names := o.platformEventNamesLocked()
	slices.Sort(names)
	for _, n := range names {
		out = append(out, Channel{Topic: PlatformEventTopic(n), Entities: []string{n}, SchemaID: o.current[n].ID})
	}
	return out
}

// ChannelEntities lists the entities a topic carries; ok is false for a
// topic the org does not serve. Topic names are case-sensitive.
func (o *Org) ChannelEntities(topic string) (entities []string, ok bool) {
	ch, ok := o.channel(topic)
	return ch.Entities, ok
}

// TopicSchemaID is the topic's current schema ID: blank for channels that
// mix entities and for unknown topics.
func (o *Org) TopicSchemaID(topic string) string {
	ch, _ := o.channel(topic)
	return ch.SchemaID
}

// channel resolves one topic without building the whole list.
func (o *Org) channel(topic string) (Channel, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if topic == AllChangeEventsChannel {
		return Channel{Topic: topic, Entities: o.selectedEntitiesLocked()}, true
	}
	if name, ok := strings.CutPrefix(topic, "/event/"); ok {
		if _, declared := o.platformEvents[name]; declared {
			return Channel{Topic: topic, Entities: []string{name}, SchemaID: o.current[name].ID}, true
		}
		return Channel{}, false
	}
	name, ok := strings.CutPrefix(topic, "/data/")
	if !ok {
		return Channel{}, false
	}
	for _, ch := range o.cfg.CustomChannels {
		if ch.Name == name {
			return Channel{Topic: topic, Entities: slices.Clone(ch.Entities)}, true
		}
	}
	for _, obj := range o.cat.objects {
		if obj.HasChangeEvent && obj.CDCSelected && obj.ChangeEventName() == name {
			return Channel{Topic: topic, Entities: []string{obj.Name}, SchemaID: o.current[obj.Name].ID}, true
		}
	}
	return Channel{}, false
}

func (o *Org) selectedEntitiesLocked() []string {
	var out []string
	for _, name := range o.cat.order {
		if obj := o.cat.objects[name]; obj.HasChangeEvent && obj.CDCSelected {
			out = append(out, name)
		}
	}
	return out
}

// Org serves the topics of the Pub/Sub service.
var _ Topics = (*Org)(nil)
