package pubsub_test

import (
	"testing"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/pubsub"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// A forged payload is handed out as poison with its replay ID, and the
// stream goes on with the next event.
func TestAnUndecodableEventIsPoisonAndTheStreamGoesOn(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 41, PlatformEvents: []sfsim.PlatformEvent{{Name: "Alert__e", Fields: []sfsim.FieldSpec{{Name: "Message__c", Type: sfsim.TypeString}}}}}, time.Minute)
	good, schemaID, err := h.sim.Org.EncodePlatformEvent("Alert__e", sfsim.Values{"Message__c": "disk full"})
	if err != nil {
		t.Fatal(err)
	}
	c := h.client(t, nil, nil)
	topic := sfsim.PlatformEventTopic("Alert__e")
	resp, err := pubsub.RawAPI(c).Publish(t.Context(), &eventbusv1.PublishRequest{TopicName: topic, Events: []*eventbusv1.ProducerEvent{
		{Id: "forged", SchemaId: schemaID, Payload: []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}},
		{Id: "good", SchemaId: schemaID, Payload: good},
	}})
	if err != nil {
		t.Fatal(err)
	}
	forgedReplay := resp.GetResults()[0].GetReplayId()

	sub := c.Subscribe(t.Context(), topic, pubsub.Start{Preset: pubsub.Earliest})
	defer sub.Stop()
	var got []pubsub.Message
	for len(got) < 2 {
		m := <-sub.Messages()
		if !m.IsKeepalive() {
			got = append(got, m)
		}
		sub.Release(m)
	}
	if got[0].Poison == nil || string(got[0].Poison.ReplayID) != string(forgedReplay) {
		t.Fatalf("first message = %+v, want poison carrying replay ID %x", got[0], forgedReplay)
	}
	if got[1].Event == nil || got[1].Event.Header != nil || got[1].Event.Fields["Message__c"] != "disk full" {
		t.Fatalf("second message = %+v, want the decoded platform event", got[1])
	}
}
