package salesforce

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Salesforce error codes sent in the `error-code` trailer. Clients branch on
// these strings, not on the gRPC status.
const (
	codePrefix              = "sfdc.platform.eventbus.grpc."
	CodeAuthError           = codePrefix + "service.auth.error"
	CodeReplayCorrupted     = codePrefix + "subscription.fetch.replayid.corrupted"
	CodeReplayValidation    = codePrefix + "subscription.fetch.replayid.validation.failed"
	CodeRequestedInvalid    = codePrefix + "subscription.fetch.requested.events.invalid"
	CodeTopicMismatch       = codePrefix + "subscription.fetch.topic.mismatch"
	CodeTopicNotFound       = codePrefix + "topic.not.found"
	CodeTopicEmpty          = codePrefix + "topic.validation.empty"
	CodeSchemaValidation    = codePrefix + "schema.validation.failed"
	CodeServiceUnavailable  = codePrefix + "service.unavailable"
	CodeCannotSubscribe     = codePrefix + "subscription.topic.cannot.subscribe"
	CodeFetchRequestInvalid = codePrefix + "subscription.fetch.request.invalid"
)

// Messages the real service is known to send.
const (
	msgAuth              = "An authentication exception occurred. Provide valid authentication via metadata headers."
	msgReplayValidation  = "The Replay ID validation failed. Ensure that the Replay ID is valid."
	msgReplayCorrupted   = "The Replay ID is no longer valid: it is older than the event retention window or was never issued. Subscribe with a replay preset instead."
	msgRequestedInvalid  = "The requested number of events in a fetch request must be greater than zero."
	msgSchemaBlank       = "Schema validation failed. The schema ID can't be blank."
	msgServiceUnavailble = "The service is unavailable. Try again later."
)

// sfError is a gRPC status plus the trailers Salesforce attaches: error-code,
// rpc-id and type; the rpc ID is also appended to the message.
type sfError struct {
	code    codes.Code
	sfCode  string
	message string
}

func newRPCID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// unary sets the trailers on a unary call and returns the status error.
func (e sfError) unary(ctx context.Context, rpc string) error {
	id := newRPCID()
	_ = grpc.SetTrailer(ctx, e.trailer(id, rpc))
	return e.status(id)
}

// stream sets the trailers on a stream and returns the status error.
func (e sfError) stream(s grpc.ServerStream, rpc string) error {
	id := newRPCID()
	s.SetTrailer(e.trailer(id, rpc))
	return e.status(id)
}

func (e sfError) trailer(rpcID, rpc string) metadata.MD {
	md := metadata.Pairs("rpc-id", rpcID, "type", rpc)
	if e.sfCode != "" {
		md.Set("error-code", e.sfCode)
	}
	return md
}

func (e sfError) status(rpcID string) error {
	return status.Error(e.code, e.message+" rpcId: "+rpcID)
}
