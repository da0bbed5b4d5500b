package liblog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/grpclog"
)

// Once installed, gRPC's lines follow the route: the logger set last gets
// them, with component=grpc; none set yet, gRPC's default stands.
func TestForwardedGRPCLinesGoToTheLoggerRoutedLast(t *testing.T) {
	ForwardGRPC()
	t.Cleanup(func() { grpcRoute.Store(nil) })
	var first, second bytes.Buffer
	RouteGRPC(slog.New(slog.NewTextHandler(&first, nil)))
	grpclog.Warningf("[transport] %s", "first")
	RouteGRPC(slog.New(slog.NewTextHandler(&second, nil)))
	grpclog.Errorf("[transport] %s", "second")
	grpclog.Info("chatter below info")
	if !strings.Contains(first.String(), "first") || strings.Contains(first.String(), "second") {
		t.Fatalf("the first route got %q; want only its own line", first.String())
	}
	if !strings.Contains(second.String(), "second") || !strings.Contains(second.String(), "component=grpc") || strings.Contains(second.String(), "chatter") {
		t.Fatalf("the second route got %q; want its error line with component=grpc and no info chatter", second.String())
	}
}
