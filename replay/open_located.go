package replay

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// OpenConfigured is Open for a store named in a configuration file: a
// failure is one line naming the store's key, its address or path (never
// a password) and what to check.
func OpenConfigured(ctx context.Context, cfg Config) (Store, error) {
	store, err := Open(ctx, cfg)
	if err != nil {
		key, where, hint := storeLocation(cfg)
		cause := strings.TrimPrefix(err.Error(), "open store: ")
		return nil, fmt.Errorf("open the store at %s %s: %s; %s", key, where, cause, hint)
	}
	return store, nil
}

// storeLocation names the configured store's key, its address or path,
// and what to check when it cannot be opened.
func storeLocation(cfg Config) (key, where, hint string) {
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
