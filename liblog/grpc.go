package liblog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc/grpclog"
)

// Use routes the log lines that gRPC and go-redis write on their own
// (plain text straight to stderr by default) through log's handler, so a
// JSON log leaves no line that is not JSON. grpclog.SetLoggerV2 is an
// unsynchronised global: call this before the first gRPC call of the
// process.
func Use(log *slog.Logger) {
	UseForGRPC(log)
	// go-redis logs through slog.Default, which the caller set to log, at
	// debug: the store's own failures are logged, once per outage, by the
	// layer that meets them.
	RedisToSlog()
}

// GRPCLogger routes gRPC's own log lines (by default plain text on stderr
// at error level) through the command's slog handler, so --log-format json
// leaves no line that is not JSON. gRPC's info chatter goes to debug.
type GRPCLogger struct{ Log *slog.Logger }

// UseForGRPC installs log as gRPC's logger. grpclog.SetLoggerV2 is not
// synchronised: it must run before the first gRPC call of the process.
func UseForGRPC(log *slog.Logger) {
	grpclog.SetLoggerV2(GRPCLogger{Log: log.With("component", "grpc")})
}

func (g GRPCLogger) emit(level slog.Level, msg string) {
	g.Log.Log(context.Background(), level, strings.TrimRight(msg, "\n"))
}

func (g GRPCLogger) Info(args ...any)   { g.emit(slog.LevelDebug, fmt.Sprint(args...)) }
func (g GRPCLogger) Infoln(args ...any) { g.emit(slog.LevelDebug, fmt.Sprintln(args...)) }
func (g GRPCLogger) Infof(format string, args ...any) {
	g.emit(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (g GRPCLogger) Warning(args ...any)   { g.emit(slog.LevelWarn, fmt.Sprint(args...)) }
func (g GRPCLogger) Warningln(args ...any) { g.emit(slog.LevelWarn, fmt.Sprintln(args...)) }
func (g GRPCLogger) Warningf(format string, args ...any) {
	g.emit(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (g GRPCLogger) Error(args ...any)   { g.emit(slog.LevelError, fmt.Sprint(args...)) }
func (g GRPCLogger) Errorln(args ...any) { g.emit(slog.LevelError, fmt.Sprintln(args...)) }
func (g GRPCLogger) Errorf(format string, args ...any) {
	g.emit(slog.LevelError, fmt.Sprintf(format, args...))
}

// Fatal* follow grpclog's contract: log, then exit 1 (sfcdc's exit code
// for a failure).
func (g GRPCLogger) Fatal(args ...any)   { g.Error(args...); os.Exit(1) }
func (g GRPCLogger) Fatalln(args ...any) { g.Errorln(args...); os.Exit(1) }
func (g GRPCLogger) Fatalf(format string, args ...any) {
	g.Errorf(format, args...)
	os.Exit(1)
}

// V reports whether verbosity level l is on: gRPC's verbose logs only
// when slog's debug level is.
func (g GRPCLogger) V(l int) bool {
	return l <= 0 || g.Log.Enabled(context.Background(), slog.LevelDebug)
}
