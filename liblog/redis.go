package liblog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

var redisLoggerOnce sync.Once

// RedisToSlog makes go-redis log through slog's default logger at debug,
// once per process: by default it prints its dial failures to stderr on
// its own, several raw lines before the command's one-line error. `sfcdc
// run` sets slog's default to its own logger (text or JSON), so there they
// follow --log-format, and show with --verbose.
func RedisToSlog() {
	redisLoggerOnce.Do(func() { redis.SetLogger(RedisLogger{}) })
}

// SilenceRedis drops go-redis's own log lines, for a caller that reports
// every store failure itself, cause included (the lines would only repeat
// it, and a --json output must stay clean).
func SilenceRedis() { redis.SetLogger(quietRedis{}) }

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// RedisLogger forwards go-redis's messages to Log (nil: slog.Default, as
// it is when the message comes) at debug.
type RedisLogger struct{ Log *slog.Logger }

// Printf implements go-redis's logger.
func (r RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	log.Log(ctx, slog.LevelDebug, strings.TrimRight(fmt.Sprintf(format, v...), "\n"), "component", "redis")
}
