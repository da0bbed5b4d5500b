package replay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/quote"
)

// Config chooses and configures the Store. Exactly one of RedisURL,
// RedisAddrs or FilePath must be set; the zero value is therefore invalid
// and Validate says what to set. Flags and environment variables are read by
// cmd, which fills this struct.
type Config struct {
	// RedisURL selects one Redis node:
	// redis://[user:password@]host[:port][/db][?option=value] or rediss://
	// for TLS. The options are go-redis's (e.g. pool_size, max_retries).
	RedisURL string `yaml:"redis_url" json:"redis_url,omitempty"`
	// RedisAddrs lists host:port addresses: the Sentinels when
	// RedisMasterName is set, otherwise the seed nodes of a Cluster (or one
	// plain node, if there is only one and RedisCluster is false).
	RedisAddrs []string `yaml:"redis_addrs" json:"redis_addrs,omitempty"`
	// RedisMasterName is the Sentinel master name; only with RedisAddrs.
	RedisMasterName string `yaml:"redis_master_name" json:"redis_master_name,omitempty"`
	// RedisCluster forces Cluster mode with a single address (a managed
	// Cluster's configuration endpoint).
	RedisCluster bool `yaml:"redis_cluster" json:"redis_cluster,omitempty"`
	// RedisUsername and RedisPassword authenticate (ACL user or AUTH).
	// With RedisURL they may replace the URL's userinfo, not add to it.
	RedisUsername string `yaml:"redis_username" json:"redis_username,omitempty"`
	RedisPassword string `yaml:"redis_password" json:"-"`
	// RedisSentinelPassword authenticates to the Sentinels themselves
	// (their requirepass), which is separate from the nodes' password.
	RedisSentinelPassword string `yaml:"redis_sentinel_password" json:"-"`
	// RedisTLS enables TLS (1.2 or later, system roots) for RedisAddrs;
	// RedisURL says it by its scheme, rediss://.
	RedisTLS bool `yaml:"redis_tls" json:"redis_tls,omitempty"`
	// AllowPlaintextRedis permits a Redis connection without TLS to a host
	// that is not loopback. Off by default: checkpoints, record IDs and
	// credentials would cross the network in clear text.
	AllowPlaintextRedis bool `yaml:"allow_plaintext_redis" json:"allow_plaintext_redis,omitempty"`
	// KeyPrefix starts every Redis key; empty means "sfcdc:".
	KeyPrefix string `yaml:"key_prefix" json:"key_prefix,omitempty"`
	// Timeout bounds each store operation, dial included; 0 means 5s.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// FilePath is the bbolt file of the embedded store, used when no Redis
	// is configured. Its directory must exist.
	FilePath string `yaml:"file_path" json:"file_path,omitempty"`
	// FileLockTimeout is how long to wait for another process holding the
	// file; 0 means 1s.
	FileLockTimeout time.Duration `yaml:"file_lock_timeout" json:"file_lock_timeout,omitempty"`
}

// Validate reports every problem of c, each naming the key and the fix.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	redisSet := c.RedisURL != "" || len(c.RedisAddrs) > 0
	switch {
	case c.RedisURL != "" && len(c.RedisAddrs) > 0:
		bad("redis_url, redis_addrs: both set; use redis_url for one node, redis_addrs for Sentinel or Cluster")
	case redisSet && c.FilePath != "":
		bad("file_path: set together with Redis; remove file_path (the file store is for deployments without Redis) or the Redis settings")
	case !redisSet && c.FilePath == "":
		bad("redis_url, redis_addrs, file_path: none set; set redis_url (e.g. rediss://host:6379) or file_path for the embedded store")
	}
	if c.RedisURL != "" {
		errs = append(errs, c.validateURL()...)
	}
	if len(c.RedisAddrs) > 0 {
		errs = append(errs, c.validateAddrs()...)
	}
	if c.RedisMasterName != "" && len(c.RedisAddrs) == 0 {
		bad("redis_master_name: needs redis_addrs listing the Sentinels")
	}
	if c.RedisSentinelPassword != "" && c.RedisMasterName == "" {
		bad("redis_sentinel_password: only for Sentinels; set redis_master_name and list the Sentinels in redis_addrs, or remove it")
	}
	if c.RedisTLS && c.RedisURL != "" {
		bad("redis_tls: only for redis_addrs; write redis_url as rediss://… for TLS")
	}
	if err := checkKeyPrefix(c.KeyPrefix); err != nil {
		bad("key_prefix: %s contains '{' or '}'; remove them (the org ID is the hash tag)", quote.Value(c.KeyPrefix))
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative; use a positive duration such as 5s, or 0 for the default", c.Timeout)
	}
	if c.FileLockTimeout < 0 {
		bad("file_lock_timeout: %s is negative; use a positive duration or 0 for the default", c.FileLockTimeout)
	}
	return errors.Join(errs...)
}

// validateURL checks RedisURL without ever quoting it: it may hold a
// password.
func (c Config) validateURL() []error {
	u, err := url.Parse(c.RedisURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error would repeat the whole URL
		}
		return []error{fmt.Errorf("redis_url: not a valid URL (%v); write redis://[user:password@]host:port[/db]", err)}
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return []error{fmt.Errorf("redis_url: scheme %s; use redis:// or rediss:// (TLS)", quote.Value(u.Scheme))}
	}
	var errs []error
	if _, err := redis.ParseURL(c.RedisURL); err != nil {
		errs = append(errs, fmt.Errorf("redis_url: %v; fix the URL's path or options", err))
	}
	if u.User != nil && (c.RedisUsername != "" || c.RedisPassword != "") {
		errs = append(errs, fmt.Errorf("redis_username, redis_password: redis_url has credentials too; keep one of them"))
	}
	if u.Query().Has("skip_verify") {
		errs = append(errs, fmt.Errorf("redis_url: skip_verify turns off certificate checks; remove it and trust the server's CA instead"))
	}
	if u.Scheme == "redis" && !isLoopback(u.Hostname()) && !c.AllowPlaintextRedis {
		errs = append(errs, fmt.Errorf("redis_url: plaintext redis:// to %s; use rediss:// or set allow_plaintext_redis", quote.Value(u.Hostname())))
	}
	return errs
}

func (c Config) validateAddrs() []error {
	var errs []error
	for i, addr := range c.RedisAddrs {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" {
			errs = append(errs, fmt.Errorf("redis_addrs[%d]: %s is not host:port; write e.g. redis-0.internal:6379", i, quote.Value(addr)))
			continue
		}
		if !c.RedisTLS && !isLoopback(host) && !c.AllowPlaintextRedis {
			errs = append(errs, fmt.Errorf("redis_addrs[%d]: plaintext connection to %s; set redis_tls or allow_plaintext_redis", i, quote.Value(host)))
		}
	}
	if c.RedisCluster && c.RedisMasterName != "" {
		errs = append(errs, fmt.Errorf("redis_cluster, redis_master_name: both set; Sentinel and Cluster exclude each other"))
	}
	return errs
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes c with the password and any URL credentials redacted,
// for logging the effective configuration.
func (c Config) String() string {
	redacted := c
	if c.RedisPassword != "" {
		redacted.RedisPassword = "[REDACTED]"
	}
	if c.RedisSentinelPassword != "" {
		redacted.RedisSentinelPassword = "[REDACTED]"
	}
	if u, err := url.Parse(c.RedisURL); err == nil {
		redacted.RedisURL = u.Redacted()
	} else if c.RedisURL != "" {
		redacted.RedisURL = "[unparsable, REDACTED]"
	}
	type plain Config // no String method, so no recursion
	return fmt.Sprintf("%+v", plain(redacted))
}

// Open validates cfg and opens the store it selects: a RedisStore (after a
// PING, so a wrong address or password fails here) or a FileStore.
func Open(ctx context.Context, cfg Config) (Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if cfg.FilePath != "" {
		return OpenFileStore(cfg.FilePath, FileOptions{LockTimeout: cfg.FileLockTimeout})
	}
	client, err := cfg.redisClient()
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	store, err := NewRedisStore(client, RedisOptions{KeyPrefix: cfg.KeyPrefix, Timeout: cfg.Timeout})
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := store.Ping(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return store, nil
}

// redisClient builds the go-redis client cfg describes. Every operation is
// bounded by the store's timeout through the context, and the dial by the
// same timeout.
func (c Config) redisClient() (redis.UniversalClient, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if c.RedisURL != "" {
		opts, err := redis.ParseURL(c.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis_url: %w", err)
		}
		if c.RedisUsername != "" || c.RedisPassword != "" {
			opts.Username, opts.Password = c.RedisUsername, c.RedisPassword
		}
		opts.ContextTimeoutEnabled = true
		opts.DialTimeout = timeout
		return redis.NewClient(opts), nil
	}
	opts := &redis.UniversalOptions{
		Addrs:                 c.RedisAddrs,
		MasterName:            c.RedisMasterName,
		IsClusterMode:         c.RedisCluster,
		Username:              c.RedisUsername,
		Password:              c.RedisPassword,
		SentinelPassword:      c.RedisSentinelPassword,
		DialTimeout:           timeout,
		ContextTimeoutEnabled: true,
	}
	if c.RedisTLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return redis.NewUniversalClient(opts), nil
}
