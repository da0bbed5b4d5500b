package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/liblog"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// DefaultRedisURL is where the demo looks for a Redis when neither
// Options.RedisURL nor Options.DefaultRedisURL names one.
const DefaultRedisURL = "redis://127.0.0.1:6379"

// Errors of the store choice, for the caller to say which setting to fix.
var (
	// ErrRedisURL: Options.RedisURL is not a Redis URL.
	ErrRedisURL = errors.New("not a Redis URL")
	// ErrNoRedis: no Redis answers at Options.RedisURL.
	ErrNoRedis = errors.New("no Redis answers")
)

// demoStore is the demo's state store and how to clean it up.
type demoStore struct {
	store replay.Store
	desc  string // what the live view says about it
	kind  string // "redis" or "embedded", for --json
	clean func()
}

func (s *demoStore) close() {
	_ = s.store.Close()
	s.clean()
}

// openDemoStore opens Redis at url, or, when url is empty, Redis at
// fallback (DefaultRedisURL if empty) if one answers there and the embedded
// file store otherwise. The demo's keys live under a prefix of their own (deleted at
// the end), so a Redis shared with a real deployment is not disturbed.
func openDemoStore(ctx context.Context, url, fallback string) (*demoStore, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "sfcdc-demo:" + hex.EncodeToString(b) + ":"
	explicit := url != ""
	if !explicit {
		url = fallback
		if url == "" {
			url = DefaultRedisURL
		}
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: url.Error repeats the whole URL, so
		// only its cause is shown, with the URL cut by quote.URL.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s: %w (%v)", quote.URL(url), ErrRedisURL, err)
	}
	// The probe must not retry a refused dial (a second of silence), and
	// go-redis would log each refusal on stderr, which --json keeps clean:
	// the outcome is reported below, cause included.
	opts.MaxRetries, opts.DialerRetries = -1, 1
	liblog.SilenceRedis()
	probe := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	perr := probe.Ping(pctx).Err()
	cancel()
	if perr == nil {
		store, err := replay.Open(ctx, replay.Config{RedisURL: url, KeyPrefix: prefix})
		if err != nil {
			probe.Close()
			return nil, fmt.Errorf("open the demo's Redis store at %s: %w", opts.Addr, err)
		}
		return &demoStore{store: store, kind: "redis", desc: fmt.Sprintf("Redis at %s (keys under %s, deleted at exit)", opts.Addr, prefix),
			clean: func() { deletePrefix(probe, prefix); probe.Close() }}, nil
	}
	probe.Close()
	if explicit {
		return nil, fmt.Errorf("%w at %s (%v)", ErrNoRedis, opts.Addr, perr)
	}
	dir, err := os.MkdirTemp("", "sfcdc-demo-")
	if err != nil {
		return nil, fmt.Errorf("create the embedded store's directory: %w", err)
	}
	path := filepath.Join(dir, "state.db")
	store, err := replay.Open(ctx, replay.Config{FilePath: path})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open the embedded store: %w", err)
	}
	return &demoStore{store: store, kind: "embedded", desc: fmt.Sprintf("the embedded store %s (no Redis answers at %s; give a Redis URL to use one)", path, opts.Addr),
		clean: func() { _ = os.RemoveAll(dir) }}, nil
}

// deletePrefix removes the demo's keys.
func deletePrefix(c *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			c.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		c.Unlink(ctx, keys...)
	}
}
