package pubsub

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The texts below are what grpc-go reports for the transport events the
// simulator cannot inject: a server's RST_STREAM arrives as INTERNAL, a
// GOAWAY (server draining or restarting) as UNAVAILABLE.
func TestClassifyDecidesWhatEachStreamEndingMeans(t *testing.T) {
	t.Parallel()
	const replayCode = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
	unknownSchema := fmt.Errorf("decode event 0000000000258368 (schema ID %q): call GetSchema: %w: %w", "bogus",
		ErrUnknownSchema, status.Error(codes.NotFound, "Schema bogus was not found."))
	tests := []struct {
		name     string
		err      error
		sfCode   string
		want     failure
		wantKind error // sentinel errors.Is must match; nil: none of them
	}{
		{"UNAVAILABLE", status.Error(codes.Unavailable, "The service is unavailable."), "sfdc.platform.eventbus.grpc.service.unavailable", failTransient, nil},
		{"INTERNAL", status.Error(codes.Internal, "internal error"), "", failTransient, nil},
		{"io.EOF", io.EOF, "", failTransient, nil},
		{"io.EOF wrapped", fmt.Errorf("send: %w", io.EOF), "", failTransient, nil},
		{"RST_STREAM", status.Error(codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR"), "", failTransient, nil},
		{"GOAWAY", status.Error(codes.Unavailable, "the connection is draining due to GOAWAY"), "", failTransient, nil},
		{"watchdog", errWatchdog, "", failTransient, nil},
		{"schema fetch UNAVAILABLE", fmt.Errorf("decode event: call GetSchema: %w", status.Error(codes.Unavailable, "down")), "", failTransient, nil},
		{"INVALID_ARGUMENT with the replay-ID code", status.Error(codes.InvalidArgument, "The Replay ID validation failed."), replayCode, failTerminal, ErrReplayInvalid},
		{"INVALID_ARGUMENT naming the replay ID", status.Error(codes.InvalidArgument, "The Replay ID is invalid"), "", failTerminal, ErrReplayInvalid},
		{"INVALID_ARGUMENT of another kind", status.Error(codes.InvalidArgument, "num_requested must be positive"), "sfdc.platform.eventbus.grpc.fetch.requested.invalid", failTerminal, nil},
		{"NOT_FOUND on subscribe", status.Error(codes.NotFound, "The topic doesn't exist"), "sfdc.platform.eventbus.grpc.service.topic.notfound", failTerminal, ErrTopicNotFound},
		{"PERMISSION_DENIED on subscribe", status.Error(codes.PermissionDenied, "no access"), "", failTerminal, ErrTopicNotFound},
		{"UNAUTHENTICATED", status.Error(codes.Unauthenticated, "Auth error"), "sfdc.platform.eventbus.grpc.service.auth.error", failAuth, ErrUnauthenticated},
		{"unknown certificate", status.Error(codes.Unavailable, "tls: failed to verify certificate: x509: certificate signed by unknown authority"), "", failTerminal, ErrUntrustedCertificate},
		{"unknown schema ID (GetSchema NOT_FOUND)", unknownSchema, "", failTerminal, ErrUnknownSchema},
	}
	sentinels := []error{ErrReplayInvalid, ErrTopicNotFound, ErrUnauthenticated, ErrUntrustedCertificate, ErrUnknownSchema}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := classify("/data/CaseChangeEvent", tt.err, tt.sfCode)
			if got != tt.want {
				t.Fatalf("classified as %d, want %d (transient 0, auth 1, terminal 2): %v", got, tt.want, err)
			}
			for _, sentinel := range sentinels {
				if errors.Is(err, sentinel) != (sentinel == tt.wantKind) {
					t.Errorf("errors.Is(%v, %q) = %t", err, sentinel, !(sentinel == tt.wantKind))
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("the classified error %v hides the original %v", err, tt.err)
			}
		})
	}
}

// The message of an unknown schema ID names that problem and its schema ID,
// not the topic-name hint of a missing topic.
func TestAnUnknownSchemaIDSaysSoAndNotThatTheTopicIsMissing(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("decode event 0000000000258368 (schema ID %q): call GetSchema: %w: %w", "bogus",
		ErrUnknownSchema, status.Error(codes.NotFound, "Schema bogus was not found."))
	_, classified := classify("/data/CaseChangeEvent", err, "")
	msg := classified.Error()
	for _, want := range []string{"/data/CaseChangeEvent", `"bogus"`, "schema ID", "nothing was skipped"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "check the topic name") {
		t.Errorf("message %q blames the topic name", msg)
	}
	var se *StreamError
	if !errors.As(classified, &se) || se.Code != codes.NotFound {
		t.Errorf("got %#v, want a *StreamError with the NOT_FOUND code", classified)
	}
	if _, plain := classify("/data/CaseChangeEvent", ErrUnknownSchema, ""); !errors.Is(plain, ErrUnknownSchema) {
		t.Errorf("an unknown schema from a source without gRPC status: %v", plain)
	}
}

// A schema that does not compile would fail the same way on every new
// stream: it must end the subscription with its own class, not reconnect
// for ever on the same event.
func TestAnUncompilableSchemaEndsTheSubscriptionInsteadOfReconnecting(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("decode event 0000000000258368: compile schema %q: %w: not a record", "s1", ErrInvalidSchema)
	verdict, classified := classify("/data/CaseChangeEvent", err, "")
	if verdict != failTerminal {
		t.Fatalf("verdict %v, want terminal", verdict)
	}
	if !errors.Is(classified, ErrInvalidSchema) || errors.Is(classified, ErrTopicNotFound) {
		t.Errorf("classified %v: want ErrInvalidSchema only", classified)
	}
	if msg := classified.Error(); !strings.Contains(msg, `"s1"`) || !strings.Contains(msg, "nothing was skipped") {
		t.Errorf("message %q does not name the schema and that nothing was skipped", msg)
	}
}
