package main

import (
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/sfcdc/sfcdc/liblog"
)

// What is global to the process. Several commands may run at once in one
// process (the tests run them in process, in parallel), so each global is
// either set once at the process edge (main, and the tests' TestMain), or
// is safe to change while other commands run:
//
//   - gRPC's logger (grpclog.SetLoggerV2, an unsynchronised global) is set
//     once at the edge, by useLibraryLogs (liblog.ForwardGRPC), to a logger
//     that forwards to the route a command sets (useLibraryLog,
//     liblog.RouteGRPC, atomic).
//   - go-redis's logger (redis.SetLogger) and slog's default
//     (slog.SetDefault) are atomic: commands set them as they start.
//   - GOGC and GOMEMLIMIT are held with a count (heldSetting): the first
//     command holding one sets it, the last one to end restores it.
//
// In a process running several commands at once, the libraries' own lines
// go to the logger of the command that set it last. A binary runs one
// command, so there they always go to that command's logger.

// useLibraryLogs routes gRPC's own log lines through liblog's route. It
// runs once, at the process edge, before anything uses gRPC.
func useLibraryLogs() { liblog.ForwardGRPC() }

// useLibraryLog makes log the destination of the lines gRPC and go-redis
// write on their own (see liblog.Use): go-redis's go through slog's
// default, which the caller sets to log.
func useLibraryLog(log *slog.Logger) {
	liblog.RouteGRPC(log)
	liblog.RedisToSlog()
}

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
