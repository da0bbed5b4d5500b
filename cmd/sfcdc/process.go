package main

import (
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/grpclog"

	"github.com/sfcdc/sfcdc/liblog"
)

// What is global to the process. Several commands may run at once in one
// process (the tests run them in process, in parallel), so each global is
// either set once at the process edge (main, and the tests' TestMain), or
// is safe to change while other commands run:
//
//   - gRPC's logger (grpclog.SetLoggerV2, an unsynchronised global) is set
//     once at the edge, by useLibraryLogs, to a logger that forwards to
//     libraryLog, an atomic pointer a command sets (useLibraryLog).
//   - go-redis's logger (redis.SetLogger) and slog's default
//     (slog.SetDefault) are atomic: commands set them as they start.
//   - GOGC and GOMEMLIMIT are held with a count (heldSetting): the first
//     command holding one sets it, the last one to end restores it.
//
// In a process running several commands at once, the libraries' own lines
// go to the logger of the command that set it last. A binary runs one
// command, so there they always go to that command's logger.

// libraryLog is the logger gRPC's own lines go to; nil until a command
// sets one: then gRPC's default stands (its errors to standard error).
var libraryLog atomic.Pointer[slog.Logger]

// useLibraryLogs routes gRPC's own log lines through libraryLog. It runs
// once, at the process edge, before anything uses gRPC.
func useLibraryLogs() {
	grpclog.SetLoggerV2(forwardedGRPCLog{fallback: grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr)})
}

// useLibraryLog makes log the destination of the lines gRPC and go-redis
// write on their own (see liblog.Use): go-redis's go through slog's
// default, which the caller sets to log.
func useLibraryLog(log *slog.Logger) {
	libraryLog.Store(log)
	liblog.RedisToSlog()
}

// forwardedGRPCLog is gRPC's logger: libraryLog's when a command set one,
// else fallback, gRPC's default.
type forwardedGRPCLog struct{ fallback grpclog.LoggerV2 }

func (f forwardedGRPCLog) to() grpclog.LoggerV2 {
	if log := libraryLog.Load(); log != nil {
		return liblog.GRPCLogger{Log: log.With("component", "grpc")}
	}
	return f.fallback
}

func (f forwardedGRPCLog) Info(args ...any)                    { f.to().Info(args...) }
func (f forwardedGRPCLog) Infoln(args ...any)                  { f.to().Infoln(args...) }
func (f forwardedGRPCLog) Infof(format string, args ...any)    { f.to().Infof(format, args...) }
func (f forwardedGRPCLog) Warning(args ...any)                 { f.to().Warning(args...) }
func (f forwardedGRPCLog) Warningln(args ...any)               { f.to().Warningln(args...) }
func (f forwardedGRPCLog) Warningf(format string, args ...any) { f.to().Warningf(format, args...) }
func (f forwardedGRPCLog) Error(args ...any)                   { f.to().Error(args...) }
func (f forwardedGRPCLog) Errorln(args ...any)                 { f.to().Errorln(args...) }
func (f forwardedGRPCLog) Errorf(format string, args ...any)   { f.to().Errorf(format, args...) }
func (f forwardedGRPCLog) Fatal(args ...any)                   { f.to().Fatal(args...) }
func (f forwardedGRPCLog) Fatalln(args ...any)                 { f.to().Fatalln(args...) }
func (f forwardedGRPCLog) Fatalf(format string, args ...any)   { f.to().Fatalf(format, args...) }
func (f forwardedGRPCLog) V(l int) bool                        { return f.to().V(l) }

// heldSetting is a process-wide runtime setting a command changes while it
// runs. The first holder sets it; the last one to release it restores what
// was there before, so commands running at once in one process leave the
// process as they found it.
type heldSetting struct {
	set     func(int64) int64 // sets a value, returns the previous one
	mu      sync.Mutex
	holders int
	before  int64
}

// hold sets the setting to v unless another command holds it already,
// until release is called.
func (h *heldSetting) hold(v int64) (release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holders == 0 {
		h.before = h.set(v)
	}
	h.holders++
	return sync.OnceFunc(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.holders--; h.holders == 0 {
			h.set(h.before)
		}
	})
}

var (
	// gcPercent is GOGC (debug.SetGCPercent).
	gcPercent = &heldSetting{set: func(v int64) int64 { return int64(debug.SetGCPercent(int(v))) }}
	// memoryLimit is GOMEMLIMIT (debug.SetMemoryLimit).
	memoryLimit = &heldSetting{set: debug.SetMemoryLimit}
)
