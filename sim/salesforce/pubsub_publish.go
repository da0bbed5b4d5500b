package salesforce

import (
	"context"
	"errors"
	"io"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc/codes"
)

// Publish appends platform events to their topic. Each event gets its own
// result: a schema mismatch fails that event, not the call.
func (s *pubSubService) Publish(ctx context.Context, req *eventbusv1.PublishRequest) (*eventbusv1.PublishResponse, error) {
	t, _, err := s.authorize(ctx)
	if err != nil {
		return nil, err.unary(ctx, "Publish")
	}
	resp, sfErr := t.publish(req)
	if sfErr != nil {
		return nil, sfErr.unary(ctx, "Publish")
	}
	return resp, nil
}

// PublishStream is Publish over a bidirectional stream, one response per request.
func (s *pubSubService) PublishStream(stream eventbusv1.PubSub_PublishStreamServer) error {
	t, _, authErr := s.authorize(stream.Context())
	if authErr != nil {
		return authErr.stream(stream, "PublishStream")
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp, sfErr := t.publish(req)
		if sfErr != nil {
			return sfErr.stream(stream, "PublishStream")
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// publish appends to the bus of the org the call named.
func (t *tenant) publish(req *eventbusv1.PublishRequest) (*eventbusv1.PublishResponse, *sfError) {
	topic := req.GetTopicName()
	entities, ok := t.topics.ChannelEntities(topic)
	if !ok {
		e := topicNotFound(topic)
		return nil, &e
	}
	if !isPlatformEventTopic(topic) || len(entities) != 1 {
		return nil, &sfError{codes.PermissionDenied, codePrefix + "topic.meta.permission", "You can't publish to " + topic + ": change event channels are subscribe-only."}
	}
	schemaID := t.topics.TopicSchemaID(topic)
	resp := &eventbusv1.PublishResponse{SchemaId: schemaID, RpcId: newRPCID()}
	for _, ev := range req.GetEvents() {
		id := ev.GetId()
		if id == "" {
			id = newRPCID()
		}
		result := &eventbusv1.PublishResult{CorrelationKey: id}
		if ev.GetSchemaId() != schemaID {
			result.Error = &eventbusv1.Error{Code: eventbusv1.ErrorCode_PUBLISH, Msg: "The event's schema ID " + ev.GetSchemaId() + " is not the topic's current schema " + schemaID + "."}
		} else {
			replayID := t.bus.Append(BusEvent{Entity: entities[0], EventUUID: id, SchemaID: schemaID, Payload: ev.GetPayload()})
			result.ReplayId = EncodeReplayID(replayID)
		}
		resp.Results = append(resp.Results, result)
	}
	return resp, nil
}
