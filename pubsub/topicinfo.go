package pubsub

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// TopicInfo is what Salesforce says about one topic: enough for
// `sfcdc validate` to tell whether the integration can stream it.
type TopicInfo struct {
	Name string
	// SchemaID is the topic's latest schema.
	SchemaID string
	// CanSubscribe is whether the session's user may subscribe to it.
	CanSubscribe bool
	// CanPublish is whether the session's user may publish to it.
	CanPublish bool
}

// TopicError is a GetTopic call Salesforce answered with a refusal.
// errors.Is matches its class: ErrTopicNotFound (the topic does not exist
// or the name is malformed) or ErrUnauthenticated (the session or the
// user's permissions were refused); Code is the gRPC status code
// Salesforce sent, for the message.
type TopicError struct {
	Topic string
	Code  codes.Code
	kind  error
	cause error
}

func (e *TopicError) Error() string {
	return fmt.Sprintf("get topic %s: %s (%s)", e.Topic, e.kind, e.Code)
}

// Unwrap gives the class and the gRPC error.
func (e *TopicError) Unwrap() []error { return []error{e.kind, e.cause} }

// TopicInfo asks the Pub/Sub API about topic with the client's session.
// A refusal is a *TopicError; an untrusted endpoint certificate matches
// ErrUntrustedCertificate; any other failure (no answer, a timeout, the
// caller's cancellation) is returned wrapped as it came.
func (c *Client) TopicInfo(ctx context.Context, topic string) (TopicInfo, error) {
	info, err := c.api.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: topic})
	if err == nil {
		return TopicInfo{Name: info.GetTopicName(), SchemaID: info.GetSchemaId(), CanSubscribe: info.GetCanSubscribe(), CanPublish: info.GetCanPublish()}, nil
	}
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.NotFound, codes.InvalidArgument:
		return TopicInfo{}, &TopicError{Topic: topic, Code: st.Code(), kind: ErrTopicNotFound, cause: err}
	case codes.PermissionDenied, codes.Unauthenticated:
		return TopicInfo{}, &TopicError{Topic: topic, Code: st.Code(), kind: ErrUnauthenticated, cause: err}
	case codes.Unavailable:
		if certificateFailure(st.Message()) {
			return TopicInfo{}, fmt.Errorf("get topic %s: %w: %w", topic, ErrUntrustedCertificate, err)
		}
	}
	return TopicInfo{}, fmt.Errorf("get topic %s: %w", topic, err)
}
