package replay_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     replay.Config
		wantErr string // substring; "" means valid
	}{
		{"a loopback redis URL is valid", replay.Config{RedisURL: "redis://127.0.0.1:6379/2"}, ""},
		{"a TLS redis URL to any host is valid", replay.Config{RedisURL: "rediss://user:pw@redis.example.com:6380"}, ""},
		{"a file path alone is valid", replay.Config{FilePath: "/var/lib/sfcdc/state.db"}, ""},
		{"Sentinel addresses with a master name and TLS are valid", replay.Config{RedisAddrs: []string{"s1:26379", "s2:26379"}, RedisMasterName: "mymaster", RedisTLS: true}, ""},
		{"Cluster seeds with TLS are valid", replay.Config{RedisAddrs: []string{"c1:6379", "c2:6379"}, RedisTLS: true}, ""},
		{"plaintext to another host is valid once allowed", replay.Config{RedisURL: "redis://redis.internal:6379", AllowPlaintextRedis: true}, ""},
		{"the zero config says what to set", replay.Config{}, "none set"},
		{"a URL and addresses together are refused", replay.Config{RedisURL: "redis://127.0.0.1", RedisAddrs: []string{"127.0.0.1:6379"}}, "both set"},
		{"Redis and a file path together are refused", replay.Config{RedisURL: "redis://127.0.0.1", FilePath: "x.db"}, "file_path"},
		{"an unknown scheme is refused", replay.Config{RedisURL: "http://127.0.0.1"}, "use redis:// or rediss://"},
		{"plaintext to another host is refused", replay.Config{RedisURL: "redis://redis.example.com"}, "allow_plaintext_redis"},
		{"plaintext addresses to another host are refused", replay.Config{RedisAddrs: []string{"redis.example.com:6379"}}, "redis_tls"},
		{"skip_verify is refused", replay.Config{RedisURL: "rediss://h:6380?skip_verify=true"}, "skip_verify"},
		{"a bad database path is refused", replay.Config{RedisURL: "redis://127.0.0.1/x"}, "redis_url"},
		{"credentials twice are refused", replay.Config{RedisURL: "rediss://u:p@h", RedisPassword: "q"}, "keep one"},
		{"an address without port is refused", replay.Config{RedisAddrs: []string{"localhost"}}, "host:port"},
		{"a master name without addresses is refused", replay.Config{RedisURL: "redis://127.0.0.1", RedisMasterName: "m"}, "redis_master_name"},
		{"Sentinel and Cluster together are refused", replay.Config{RedisAddrs: []string{"127.0.0.1:1"}, RedisMasterName: "m", RedisCluster: true}, "exclude"},
		{"redis_tls with a URL is refused", replay.Config{RedisURL: "redis://127.0.0.1", RedisTLS: true}, "rediss://"},
		{"a prefix with braces is refused", replay.Config{FilePath: "x", KeyPrefix: "a{b}"}, "key_prefix"},
		{"a negative timeout is refused", replay.Config{FilePath: "x", Timeout: -time.Second}, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("Validate: %v, want an error mentioning %q", err, c.wantErr)
			}
		})
	}
}

func TestConfigNeverShowsThePassword(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-s3cr3t-pw"
	cfgs := []replay.Config{
		{RedisURL: "rediss://user:" + canary + "@h:6380"},
		{RedisAddrs: []string{"127.0.0.1:6379"}, RedisPassword: canary},
		{RedisURL: "redis://user:" + canary + "@127.0.0.1:bad-port"},
		{RedisURL: "redis://user:" + canary + "@redis.example.com/x"},
		{RedisURL: "redis://user:" + canary + "%zz@127.0.0.1"},
	}
	for i, cfg := range cfgs {
		shown := []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)}
		if err := cfg.Validate(); err != nil {
			shown = append(shown, err.Error())
		}
		if _, err := replay.Open(t.Context(), replay.Config{RedisURL: cfg.RedisURL, RedisPassword: "", Timeout: time.Millisecond}); err != nil {
			shown = append(shown, err.Error())
		}
		for _, s := range shown {
			if strings.Contains(s, canary) {
				t.Errorf("config %d shows the password: %s", i, s)
			}
		}
	}
}

func TestOpenPicksTheFileStoreWithoutRedis(t *testing.T) {
	t.Parallel()
	store, err := replay.Open(t.Context(), replay.Config{FilePath: filepath.Join(t.TempDir(), "s.db")})
	noErr(t, "Open", err)
	defer store.Close()
	if _, ok := store.(*replay.FileStore); !ok {
		t.Errorf("Open returned %T, want *replay.FileStore", store)
	}
	_, err = store.Checkpoint(t.Context(), "00Dorg", "/data/T")
	wantErr(t, "Checkpoint", err, replay.ErrNotFound)
}

func TestOpenPicksRedisForAURL(t *testing.T) {
	t.Parallel()
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + redisAddr(), KeyPrefix: testPrefix(t)})
	noErr(t, "Open", err)
	defer store.Close()
	if _, ok := store.(*replay.RedisStore); !ok {
		t.Errorf("Open returned %T, want *replay.RedisStore", store)
	}
}

func TestOpenRefusesAnInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := replay.Open(t.Context(), replay.Config{})
	if err == nil || !strings.Contains(err.Error(), "open store") {
		t.Errorf("Open: %v", err)
	}
	if errors.Is(err, replay.ErrNotFound) {
		t.Error("a config error must not look like a missing item")
	}
}
