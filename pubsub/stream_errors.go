package pubsub

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Terminal stream states a caller branches on.
var (
	// ErrReplayInvalid: Salesforce refused the replay ID (expired after the
	// retention window, or corrupted). The start point is never changed
	// silently: the caller decides how to recover.
	ErrReplayInvalid = errors.New("replay ID rejected by Salesforce")
	// ErrTopicNotFound: the topic does not exist or is not visible.
	ErrTopicNotFound = errors.New("topic not found or not accessible")
	// ErrUnauthenticated: the session was rejected and could not be renewed
	// (a subscription), or refused for this call (TopicInfo).
	ErrUnauthenticated = errors.New("session rejected by Salesforce")
	// ErrUntrustedCertificate: the endpoint's TLS certificate does not
	// verify against the configured roots. No retry can fix that, so it is
	// terminal instead of a reconnect loop.
	ErrUntrustedCertificate = errors.New("the Pub/Sub endpoint's certificate is not trusted")
)

// StreamError is a terminal failure of a subscription with what Salesforce
// said: the gRPC code, its `error-code` trailer and the message. errors.Is
// matches the sentinel of its class (ErrReplayInvalid, ErrTopicNotFound,
// ErrUnauthenticated, ErrUntrustedCertificate, ErrUnknownSchema or
// ErrInvalidSchema), and
// Unwrap gives the error it was made from.
type StreamError struct {
	Topic   string
	Code    codes.Code
	SFCode  string // error-code trailer, e.g. sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted
	Message string
	kind    error // one of the sentinels above, or nil
	cause   error
}

func (e *StreamError) Error() string {
	hint := ""
	switch e.kind {
	case ErrReplayInvalid:
		hint = "; the stored replay ID is unusable: recover with a backfill and subscribe from a preset"
	case ErrTopicNotFound:
		hint = "; check the topic name (case-sensitive) and that Change Data Capture is enabled for the object"
	case ErrUnauthenticated:
		hint = "; check the credentials (token, instance URL, org ID)"
	case ErrUntrustedCertificate:
		hint = "; the server's TLS certificate is not trusted: set salesforce.ca_file (or SFCDC_CA_FILE) to the CA that signed it, or check for a TLS-intercepting proxy"
	case ErrUnknownSchema:
		hint = "; Salesforce delivered an event whose schema ID its GetSchema call does not know, so the event cannot be decoded." +
			" The subscription stopped before that event (nothing was skipped): resubscribe later, and if it persists report the schema ID to Salesforce"
	case ErrInvalidSchema:
		hint = "; Salesforce delivered a schema this version of sfcdc cannot compile, so its events cannot be decoded." +
			" The subscription stopped before the first such event (nothing was skipped): report the schema ID with this message, and resubscribe with a fixed sfcdc"
	}
	code := e.SFCode
	if code == "" {
		code = e.Code.String()
	}
	return fmt.Sprintf("subscribe to %s: %s (%s)%s", e.Topic, e.Message, code, hint)
}

// Is lets errors.Is match the sentinel of the error's class.
func (e *StreamError) Is(target error) bool { return e.kind != nil && target == e.kind }

// Unwrap returns the error the stream ended with (a gRPC status error, or
// the schema fetch failure).
func (e *StreamError) Unwrap() error { return e.cause }

// errWatchdog ends a stream that went silent.
var errWatchdog = errors.New("no response or keepalive within the watchdog period")

// failure is how one stream attempt ended.
type failure int

const (
	failTransient failure = iota // reconnect after backoff
	failAuth                     // refresh the session, then reconnect
	failTerminal                 // stop and report
)

// classify decides, in one place, what a stream error means.
func classify(topic string, err error, sfCode string) (failure, error) {
	if errors.Is(err, errWatchdog) || errors.Is(err, io.EOF) {
		return failTransient, err
	}
	st, ok := status.FromError(err)
	// Checked before the status codes: GetSchema says NOT_FOUND for an
	// unknown schema ID, which is no missing topic.
	if errors.Is(err, ErrUnknownSchema) {
		code := codes.NotFound
		if ok {
			code = st.Code()
		}
		return failTerminal, &StreamError{Topic: topic, Code: code, Message: err.Error(), kind: ErrUnknownSchema, cause: err}
	}
	// A schema that does not compile will not compile on the next stream
	// either: reconnecting would loop for ever on the same event.
	if errors.Is(err, ErrInvalidSchema) {
		return failTerminal, &StreamError{Topic: topic, Code: codes.Unknown, Message: err.Error(), kind: ErrInvalidSchema, cause: err}
	}
	if !ok {
		return failTransient, err
	}
	se := &StreamError{Topic: topic, Code: st.Code(), SFCode: sfCode, Message: st.Message(), cause: err}
	if st.Code() == codes.Unavailable && certificateFailure(st.Message()) {
		se.kind = ErrUntrustedCertificate
		return failTerminal, se
	}
	switch st.Code() {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded, codes.Canceled:
		return failTransient, se
	case codes.Unauthenticated:
		se.kind = ErrUnauthenticated
		return failAuth, se
	case codes.InvalidArgument:
		if strings.Contains(sfCode, "replayid") || strings.Contains(strings.ToLower(st.Message()), "replay id") {
			se.kind = ErrReplayInvalid
		}
		return failTerminal, se
	case codes.NotFound, codes.PermissionDenied:
		se.kind = ErrTopicNotFound
		return failTerminal, se
	}
	return failTerminal, se
}

// certificateFailure tells a TLS verification failure, which gRPC reports
// as UNAVAILABLE like any connection failure, by the crypto/tls and
// crypto/x509 texts it carries.
func certificateFailure(msg string) bool {
	return strings.Contains(msg, "x509:") || strings.Contains(msg, "tls: failed to verify certificate")
}
