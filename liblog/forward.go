package liblog

import (
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"google.golang.org/grpc/grpclog"
)

// grpcRoute is where gRPC's own lines go once ForwardGRPC is installed;
// nil: gRPC's default (errors to standard error).
var grpcRoute atomic.Pointer[slog.Logger]

// ForwardGRPC installs, once, at the process edge and before anything uses
// gRPC, a gRPC logger that forwards to the logger last given to RouteGRPC.
// gRPC's logger is an unsynchronised global that may be set only before
// gRPC runs; the route is atomic, so commands running at once in one
// process (the command tests) each set theirs, the last one winning.
func ForwardGRPC() {
	grpclog.SetLoggerV2(forwardedGRPC{fallback: grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr)})
}

// RouteGRPC sends gRPC's lines to log (info chatter at debug, as Use).
func RouteGRPC(log *slog.Logger) { grpcRoute.Store(log) }

// forwardedGRPC is the installed logger: the route's when set, else
// gRPC's default.
type forwardedGRPC struct{ fallback grpclog.LoggerV2 }

func (f forwardedGRPC) to() grpclog.LoggerV2 {
	if log := grpcRoute.Load(); log != nil {
		return GRPCLogger{Log: log.With("component", "grpc")}
	}
	return f.fallback
}

func (f forwardedGRPC) Info(args ...any)                    { f.to().Info(args...) }
func (f forwardedGRPC) Infoln(args ...any)                  { f.to().Infoln(args...) }
func (f forwardedGRPC) Infof(format string, args ...any)    { f.to().Infof(format, args...) }
func (f forwardedGRPC) Warning(args ...any)                 { f.to().Warning(args...) }
func (f forwardedGRPC) Warningln(args ...any)               { f.to().Warningln(args...) }
func (f forwardedGRPC) Warningf(format string, args ...any) { f.to().Warningf(format, args...) }
func (f forwardedGRPC) Error(args ...any)                   { f.to().Error(args...) }
func (f forwardedGRPC) Errorln(args ...any)                 { f.to().Errorln(args...) }
func (f forwardedGRPC) Errorf(format string, args ...any)   { f.to().Errorf(format, args...) }
func (f forwardedGRPC) Fatal(args ...any)                   { f.to().Fatal(args...) }
func (f forwardedGRPC) Fatalln(args ...any)                 { f.to().Fatalln(args...) }
func (f forwardedGRPC) Fatalf(format string, args ...any)   { f.to().Fatalf(format, args...) }
func (f forwardedGRPC) V(l int) bool                        { return f.to().V(l) }
