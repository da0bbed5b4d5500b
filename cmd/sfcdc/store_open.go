package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// openStore opens the configured store. A failure is one line naming the
// store key and the address (never a password), with what to check; the
// Redis client's own log lines go to slog at debug (see redisToSlog).
func openStore(ctx context.Context, cfg replay.Config) (replay.Store, error) {
	redisToSlog()
	store, err := replay.Open(ctx, cfg)
	if err != nil {
		key, where, hint := storeLocation(cfg)
		cause := strings.TrimPrefix(err.Error(), "open store: ")
		return nil, fmt.Errorf("open the store at %s %s: %s; %s", key, where, cause, hint)
	}
	return store, nil
}

// storeLocation names the configured store's key, its address or path,
// and what to check when it cannot be opened.
func storeLocation(cfg replay.Config) (key, where, hint string) {
	switch {
	case cfg.FilePath != "":
		return "store.file_path", quote.Value(cfg.FilePath),
			"the embedded file store allows one process: stop the sfcdc that holds it, or use a Redis store to read it while it runs"
	case cfg.RedisURL != "":
		return "store.redis_url", redisURLHost(cfg.RedisURL), "check that Redis runs there and answers, or fix store.redis_url"
	}
	return "store.redis_addrs", strings.Join(cfg.RedisAddrs, ", "), "check that Redis runs there and answers, or fix store.redis_addrs"
}

// redisURLHost is the host:port of a redis:// URL, without its user and
// password; Redis's default port when the URL has none.
func redisURLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "6379")
	}
	return u.Host
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
