package salesforce

import (
	"context"
	"strings"
	"time"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// Topics resolves topic names to the entities whose events they carry.
type Topics interface {
	// ChannelEntities lists the entities of a subscribable topic.
	ChannelEntities(topic string) (entities []string, ok bool)
	// TopicSchemaID is the topic's current schema ID, blank for channels
	// that mix entities.
	TopicSchemaID(topic string) string
}

// Flow-control limits of the real service.
const (
	maxOutstanding = 100
	// maxResponseBytes and maxEventsPerResponse cap one FetchResponse
	// (at least one event is always sent). Salesforce does not document its
	// batching; these caps keep responses under the 4 MiB default receive
	// limit of common gRPC clients and, by splitting a full 100-event
	// allowance in two, let a subscriber's top-up overlap the response
	// still on the wire.
	maxResponseBytes     = 1 << 20
	maxEventsPerResponse = 50
	// DefaultKeepalive is the longest the service stays silent on a stream.
	DefaultKeepalive = 270 * time.Second
)

// pubSubService implements eventbus.v1.PubSub over the org's bus.
type pubSubService struct {
	eventbusv1.UnimplementedPubSubServer

	// tenants are the orgs served: one for a single simulated org, many
	// behind the shared endpoint of a World.
	tenants   *tenantSet
	conns     *connTracker
	keepalive time.Duration
}

// authorize checks the three metadata headers every call must carry: the
// tenantid names the org, and the token and instance URL must be THAT
// org's, so a token of one org sent with another org's tenantid is refused
// with the same authentication error as a forged one (the real shared
// endpoint cannot tell the two apart either). The resolved org serves the
// call.
func (s *pubSubService) authorize(ctx context.Context) (_ *tenant, token string, err *sfError) {
	md, _ := metadata.FromIncomingContext(ctx)
	first := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	token = first("accesstoken")
	tenant := first("tenantid")
	instance := strings.TrimRight(first("instanceurl"), "/")
	authErr := &sfError{codes.Unauthenticated, CodeAuthError, msgAuth}
	t, ok := s.tenants.resolve(tenant)
	if !ok || token == "" || !t.tokens.Use(token) || instance != t.instanceURL {
		return nil, "", authErr
	}
	return t, token, nil
}

// GetTopic describes a topic; unknown topics fail as NOT_FOUND.
func (s *pubSubService) GetTopic(ctx context.Context, req *eventbusv1.TopicRequest) (*eventbusv1.TopicInfo, error) {
	t, _, err := s.authorize(ctx)
	if err != nil {
		return nil, err.unary(ctx, "GetTopic")
	}
	if req.GetTopicName() == "" {
		return nil, sfError{codes.InvalidArgument, CodeTopicEmpty, "Topic validation failed. The topic name can't be blank."}.unary(ctx, "GetTopic")
	}
	if _, ok := t.topics.ChannelEntities(req.GetTopicName()); !ok {
		return nil, topicNotFound(req.GetTopicName()).unary(ctx, "GetTopic")
	}
	return &eventbusv1.TopicInfo{
		TopicName:    req.GetTopicName(),
		TenantGuid:   t.orgID,
		CanPublish:   isPlatformEventTopic(req.GetTopicName()),
		CanSubscribe: true,
		SchemaId:     t.topics.TopicSchemaID(req.GetTopicName()),
		RpcId:        newRPCID(),
	}, nil
}

func topicNotFound(topic string) sfError {
	return sfError{codes.NotFound, CodeTopicNotFound, "The topic " + topic + " doesn't exist or you don't have permission to access it."}
}

// isPlatformEventTopic: only platform-event topics accept Publish; change
// event channels are subscribe-only.
func isPlatformEventTopic(topic string) bool { return strings.HasPrefix(topic, "/event/") }

// GetSchema returns a writer schema by ID.
func (s *pubSubService) GetSchema(ctx context.Context, req *eventbusv1.SchemaRequest) (*eventbusv1.SchemaInfo, error) {
	t, _, err := s.authorize(ctx)
	if err != nil {
		return nil, err.unary(ctx, "GetSchema")
	}
	if req.GetSchemaId() == "" {
		return nil, sfError{codes.InvalidArgument, CodeSchemaValidation, msgSchemaBlank}.unary(ctx, "GetSchema")
	}
	js, ok := t.bus.Schema(req.GetSchemaId())
	if !ok {
		return nil, sfError{codes.NotFound, CodeSchemaValidation, "Schema " + req.GetSchemaId() + " was not found."}.unary(ctx, "GetSchema")
	}
	return &eventbusv1.SchemaInfo{SchemaJson: js, SchemaId: req.GetSchemaId(), RpcId: newRPCID()}, nil
}

// ManagedSubscribe (Beta on the real service) is not simulated; like every
// call it still checks the auth metadata first, so a client with bad
// credentials learns that rather than that the call is missing.
func (s *pubSubService) ManagedSubscribe(stream eventbusv1.PubSub_ManagedSubscribeServer) error {
	if _, _, err := s.authorize(stream.Context()); err != nil {
		return err.stream(stream, "ManagedSubscribe")
	}
	return sfError{codes.Unimplemented, "", "ManagedSubscribe is not simulated; sfcdc keeps replay IDs itself."}.stream(stream, "ManagedSubscribe")
}
