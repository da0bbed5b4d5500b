package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// TestTokenStoreRedisKeepsTheLoginInRedis: with salesforce.auth.token_store
// redis, `auth login` stores the refresh token under redis_key in the real
// Redis and writes no token file; `auth status` mints its session from that
// key (with the key gone it fails and says to log in again); and no page,
// command output or log line shows the refresh token, an access token or
// the client secret.
func TestTokenStoreRedisKeepsTheLoginInRedis(t *testing.T) {
	isolateEnv(t)
	configHome := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", configHome) // where the default token file would go
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 78}, PubSub: sfsim.PubSubConfig{CAFile: filepath.Join(t.TempDir(), "ca.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app := s.REST.App()
	key := redisKeyPrefix(t) + "auth:salesforce"
	configPath := writeRedisAuthConfig(t, s, key)
	t.Setenv("SFCDC_TEST_CLIENT_SECRET", app.ClientSecret)
	logs := captureDefaultLogger(t)
	var seen []string // everything a person or a log collector would see

	login := startCommand(t, newAuthCommand(), "login", "--config", configPath, "--no-browser")
	b := simBrowser(t, s.PubSub.CAFile())
	approval := browse(t, b, login.authorizeURL(t))
	final := submitForm(t, b, approval, "allow")
	if err := login.wait(); err != nil {
		t.Fatalf("auth login failed: %v\n%s", err, login.output())
	}
	seen = append(seen, approval.Body, final.Body, login.output())
	if !strings.Contains(login.output(), "Refresh token stored in redis key "+key) {
		t.Fatalf("the login does not say the token went to Redis key %s:\n%s", key, login.output())
	}

	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer rdb.Close()
	raw, err := rdb.Get(t.Context(), key).Bytes()
	if err != nil {
		t.Fatalf("nothing under Redis key %s after the login: %v", key, err)
	}
	var stored struct {
		Flow         string `json:"flow"`
		RefreshToken string `json:"refresh_token"`
		OrgID        string `json:"org_id"`
	}
	if err := json.Unmarshal(raw, &stored); err != nil || stored.RefreshToken == "" || stored.Flow != "web_server" || stored.OrgID != s.Org.ID() {
		t.Fatalf("Redis key %s does not hold the web_server login of org %s (%v)", key, s.Org.ID(), err)
	}
	if entries, err := os.ReadDir(configHome); err != nil || len(entries) != 0 {
		t.Fatalf("the login wrote under the config directory (%d entries, %v); the token belongs in Redis only", len(entries), err)
	}

	status, err := runCommand(t, newAuthCommand(), "status", "--config", configPath)
	if err != nil {
		t.Fatalf("auth status: %v\n%s", err, status)
	}
	seen = append(seen, status)
	for _, want := range []string{"web_server", s.Org.ID(), app.Username, s.InstanceURL, "stored in redis key " + key} {
		if !strings.Contains(status, want) {
			t.Fatalf("auth status does not show %q:\n%s", want, status)
		}
	}

	// Status asks Redis every time: without the key there is no login.
	if err := rdb.Del(t.Context(), key).Err(); err != nil {
		t.Fatal(err)
	}
	missing, err := runCommand(t, newAuthCommand(), "status", "--config", configPath)
	if err == nil || !strings.Contains(err.Error(), "redis key "+key) || !strings.Contains(err.Error(), "sfcdc auth login") {
		t.Fatalf("auth status without the Redis key gave %v, want an error naming the key and `sfcdc auth login`\n%s", err, missing)
	}
	seen = append(seen, missing, err.Error(), logs.String())

	text := strings.Join(seen, "\n")
	for _, secret := range []string{app.ClientSecret, stored.RefreshToken, s.Org.ID()[:15] + "!"} {
		if strings.Contains(text, secret) {
			t.Fatalf("a secret (%.8s…) appears in what the commands showed", secret)
		}
	}
}

// writeRedisAuthConfig writes a web_server configuration whose token store
// is the test Redis, under key.
func writeRedisAuthConfig(t *testing.T, s *sfsim.Sim, key string) string {
	t.Helper()
	return writeWebServerConfig(t, s, fmt.Sprintf("    token_store: redis\n    redis_addrs: [%q]\n    redis_key: %q\n", testRedisAddr(), key))
}
