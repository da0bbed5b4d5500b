package replay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ProbeReport is what Probe found out about a store that can serve.
type ProbeReport struct {
	// Where names the store without credentials: "redis 127.0.0.1:6379",
	// "file /var/lib/sfcdc/state.db".
	Where string
	// Persistence is Redis's persistence setting as CONFIG GET shows it
	// ("appendonly yes, appendfsync everysec, save \"3600 1\""); empty for
	// the file store and when Redis refuses CONFIG (managed services and
	// ACLs often do).
	Persistence string
	// Persists reports whether Redis keeps data on disk at all (an
	// append-only file or a snapshot schedule); only meaningful when
	// Persistence is set.
	Persists bool
	// InUse: the store file is held by another process (a running sfcdc),
	// so only its directory was checked.
	InUse bool
}

// Probe checks, for a pre-flight check, that the store cfg selects can
// serve sfcdc without opening it for work: Redis answers, accepts the
// login and a write (a probe key under the key prefix, written and
// deleted, so an ACL limited to the prefix is honoured), and its
// persistence setting is read; the file store's file can be created in
// its directory, or, if it exists, is a store file sfcdc can write. What
// sfcdc stores is neither read nor changed. Errors name the key to fix
// (redis_url, redis_addrs, redis_password, file_path) and never a
// password.
func Probe(ctx context.Context, cfg Config) (ProbeReport, error) {
	if err := cfg.Validate(); err != nil {
		return ProbeReport{}, err
	}
	if cfg.FilePath != "" {
		return probeFile(cfg)
	}
	return probeRedis(ctx, cfg)
}

// probeRedis pings, writes and deletes a probe key, and reads the
// persistence setting.
func probeRedis(ctx context.Context, cfg Config) (ProbeReport, error) {
	report := ProbeReport{Where: cfg.redisWhere()}
	client, err := cfg.redisClient()
	if err != nil {
		return report, err
	}
	defer client.Close()
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return report, cfg.redisRefusal(err)
	}
	if err := writeProbeKey(ctx, client, cfg.KeyPrefix); err != nil {
		return report, fmt.Errorf("%s: %w", cfg.redisKey(), err)
	}
	report.Persistence, report.Persists = persistence(ctx, client)
	return report, nil
}

// redisWhere names the Redis of cfg for messages: host and port only, as
// the URL may hold a password.
func (c Config) redisWhere() string {
	switch {
	case c.RedisURL != "":
		if opts, err := redis.ParseURL(c.RedisURL); err == nil {
			return "redis " + opts.Addr
		}
		return "redis"
	case c.RedisMasterName != "":
		return fmt.Sprintf("redis master %s (Sentinels %s)", c.RedisMasterName, strings.Join(c.RedisAddrs, ", "))
	}
	return "redis " + strings.Join(c.RedisAddrs, ", ")
}

// redisRefusal tells a Redis that refused the login from one that did not
// answer, naming the key to fix.
func (c Config) redisRefusal(err error) error {
	var answered redis.Error
	if errors.As(err, &answered) {
		return fmt.Errorf("redis_username, redis_password: %s refused the login (%v): check the user name and password", c.redisWhere(), err)
	}
	return fmt.Errorf("%s: %s does not answer (%v): check the host and port, that Redis runs, and the network between", c.redisKey(), c.redisWhere(), err)
}

// redisKey is the key that says where Redis is.
func (c Config) redisKey() string {
	if c.RedisURL != "" {
		return "redis_url"
	}
	return "redis_addrs"
}

// writeProbeKey writes a short-lived key under the prefix and deletes it:
// a replica (READONLY), a full Redis (OOM) or an ACL without write access
// (NOPERM) refuses the write that every checkpoint needs.
func writeProbeKey(ctx context.Context, client redis.UniversalClient, prefix string) error {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key := prefix + "probe:" + hex.EncodeToString(b)
	if err := client.Set(ctx, key, "sfcdc pre-flight check", time.Minute).Err(); err != nil {
		return fmt.Errorf("write the probe key %s: %v: point the store at the primary, not a replica, and let the user write keys starting with %s", key, err, prefix)
	}
	if err := client.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("delete the probe key %s: %v: let the user delete keys starting with %s (it expires in a minute)", key, err, prefix)
	}
	return nil
}

// persistence reads appendonly, appendfsync and save. A Redis that
// refuses CONFIG (renamed or denied) yields "".
func persistence(ctx context.Context, client redis.UniversalClient) (string, bool) {
	values := map[string]string{}
	for _, name := range []string{"appendonly", "appendfsync", "save"} {
		got, err := client.ConfigGet(ctx, name).Result()
		if err != nil {
			return "", false
		}
		v, ok := got[name]
		if !ok {
			return "", false
		}
		values[name] = v
	}
	aof := values["appendonly"] == "yes"
	setting := fmt.Sprintf("appendonly %s", values["appendonly"])
	if aof {
		setting += ", appendfsync " + values["appendfsync"]
	}
	setting += fmt.Sprintf(", save %q", values["save"])
	return setting, aof || strings.TrimSpace(values["save"]) != ""
}

// probeFile checks the store file, or where it would be created.
func probeFile(cfg Config) (ProbeReport, error) {
	path := cfg.FilePath
	report := ProbeReport{Where: "file " + path}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return report, probeDirectory(filepath.Dir(path))
	case err != nil:
		return report, fmt.Errorf("file_path: %v: give sfcdc's user access, or choose another path", err)
	case !info.Mode().IsRegular():
		return report, fmt.Errorf("file_path: %s is not a regular file: name a file (e.g. %s)", path, filepath.Join(path, "state.db"))
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return report, fmt.Errorf("file_path: %v: give sfcdc's user write access to it", err)
	}
	_ = w.Close()
	timeout := cfg.FileLockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		report.InUse = true
		return report, nil
	case err != nil:
		return report, fmt.Errorf("file_path: %s is not an sfcdc store file (%v): point file_path at the store file, or at a new file name", path, err)
	}
	_ = db.Close()
	return report, nil
}

// probeDirectory checks that a file can be created in dir, by creating
// and removing one.
func probeDirectory(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("file_path: directory %s does not exist: create it (mkdir -p %s), or put the file in an existing directory", dir, dir)
	case err != nil:
		return fmt.Errorf("file_path: %v: give sfcdc's user access, or choose another directory", err)
	case !info.IsDir():
		return fmt.Errorf("file_path: %s is not a directory: put the file in a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".sfcdc-probe-*")
	if err != nil {
		return fmt.Errorf("file_path: cannot create files in %s (%v): give sfcdc's user write access, or choose another directory", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
