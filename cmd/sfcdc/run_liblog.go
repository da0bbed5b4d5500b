package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc/grpclog"
)

// useSlogForLibraries routes the log lines that gRPC and go-redis write
// on their own (plain text straight to stderr by default) through the
// command's handler, so --log-format json leaves no line that is not
// JSON. grpclog.SetLoggerV2 is an unsynchronised global: call this before
// the first gRPC call of the process.
func useSlogForLibraries(log *slog.Logger) {
	useSlogForGRPC(log)
	// go-redis logs through slog.Default, which the caller set to log, at
	// debug: the store's own failures are logged, once per outage, by the
	// layer that meets them.
	redisToSlog()
}

// grpcLogger routes gRPC's own log lines (by default plain text on stderr
// at error level) through the command's slog handler, so --log-format json
// leaves no line that is not JSON. gRPC's info chatter goes to debug.
type grpcLogger struct{ log *slog.Logger }

// useSlogForGRPC installs log as gRPC's logger. grpclog.SetLoggerV2 is not
// synchronised: it must run before the first gRPC call of the process.
func useSlogForGRPC(log *slog.Logger) {
	grpclog.SetLoggerV2(grpcLogger{log: log.With("component", "grpc")})
}

func (g grpcLogger) emit(level slog.Level, msg string) {
	g.log.Log(context.Background(), level, strings.TrimRight(msg, "\n"))
}

func (g grpcLogger) Info(args ...any)   { g.emit(slog.LevelDebug, fmt.Sprint(args...)) }
func (g grpcLogger) Infoln(args ...any) { g.emit(slog.LevelDebug, fmt.Sprintln(args...)) }
func (g grpcLogger) Infof(format string, args ...any) {
	g.emit(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (g grpcLogger) Warning(args ...any)   { g.emit(slog.LevelWarn, fmt.Sprint(args...)) }
func (g grpcLogger) Warningln(args ...any) { g.emit(slog.LevelWarn, fmt.Sprintln(args...)) }
func (g grpcLogger) Warningf(format string, args ...any) {
	g.emit(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (g grpcLogger) Error(args ...any)   { g.emit(slog.LevelError, fmt.Sprint(args...)) }
func (g grpcLogger) Errorln(args ...any) { g.emit(slog.LevelError, fmt.Sprintln(args...)) }
func (g grpcLogger) Errorf(format string, args ...any) {
	g.emit(slog.LevelError, fmt.Sprintf(format, args...))
}

// Fatal* follow grpclog's contract: log, then exit 1.
func (g grpcLogger) Fatal(args ...any)   { g.Error(args...); os.Exit(exitFailure) }
func (g grpcLogger) Fatalln(args ...any) { g.Errorln(args...); os.Exit(exitFailure) }
func (g grpcLogger) Fatalf(format string, args ...any) {
	g.Errorf(format, args...)
	os.Exit(exitFailure)
}

// V reports whether verbosity level l is on: gRPC's verbose logs only
// when slog's debug level is.
func (g grpcLogger) V(l int) bool {
	return l <= 0 || g.log.Enabled(context.Background(), slog.LevelDebug)
}
