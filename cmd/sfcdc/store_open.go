package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/replay"
)

// openStore opens the configured store (replay.OpenConfigured: a failure
// names the key, the address and what to check); the Redis client's own
// log lines go to slog at debug (see redisToSlog).
func openStore(ctx context.Context, cfg replay.Config) (replay.Store, error) {
	redisToSlog()
	return replay.OpenConfigured(ctx, cfg)
}

var redisLoggerOnce sync.Once

// redisToSlog makes go-redis log through slog's default logger at debug,
// once per process: by default it prints its dial failures to stderr on
// its own, several raw lines before the command's one-line error. `sfcdc
// run` sets slog's default to its own logger (text or JSON), so there they
// follow --log-format, and show with --verbose.
func redisToSlog() {
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}

// redisLogger forwards go-redis's messages to log (nil: slog.Default, as
// it is when the message comes) at debug.
type redisLogger struct{ log *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	log := r.log
	if log == nil {
		log = slog.Default()
	}
	log.Log(ctx, slog.LevelDebug, strings.TrimRight(fmt.Sprintf(format, v...), "\n"), "component", "redis")
}
