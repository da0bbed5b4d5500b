package salesforce_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/salesforce"
)

var sampleToken = salesforce.StoredToken{
	Flow: salesforce.FlowWebServer, LoginURL: "https://login.salesforce.com", ClientID: "3MVG9x",
	RefreshToken: "5Aep861.refresh", InstanceURL: "https://acme.my.salesforce.com",
	OrgID: "00D5Y000000AbCdUAK", UserID: "0055Y000000AbCdQAK", Username: "integration@acme.example",
	SavedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
}

func TestTheFileStoreWritesAnOwnerOnlyFileAndReadsItBack(t *testing.T) {
	t.Parallel()
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "new-dir", "token.json")}
	if _, err := store.Load(t.Context()); !errors.Is(err, salesforce.ErrNoStoredToken) {
		t.Fatalf("an absent file gave %v, want ErrNoStoredToken", err)
	}
	if err := store.Save(t.Context(), sampleToken); err != nil {
		t.Fatal(err)
	}
	file, _ := os.Stat(store.Path)
	dir, _ := os.Stat(filepath.Dir(store.Path))
	if file.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700 {
		t.Fatalf("file %04o, directory %04o; want 0600 and 0700", file.Mode().Perm(), dir.Mode().Perm())
	}
	got, err := store.Load(t.Context())
	if err != nil || got != sampleToken {
		t.Fatalf("read back %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(store.Path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestTheFileStoreRefusesAFileOthersCanReadOrThatWasTamperedWith(t *testing.T) {
	t.Parallel()
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	if err := store.Save(t.Context(), sampleToken); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(store.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(t.Context()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 token file gave %v", err)
	}
	for name, content := range map[string]string{
		"an unknown key":            `{"version":1,"refresh_token":"x","instance_url":"https://a.my.salesforce.com","evil":1}`,
		"a plain-http instance URL": `{"version":1,"refresh_token":"x","instance_url":"http://a.example.com"}`,
		"no refresh token":          `{"version":1,"instance_url":"https://a.my.salesforce.com"}`,
		"not JSON":                  `refresh_token=x`,
	} {
		if err := os.WriteFile(store.Path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Load(t.Context()); err == nil {
			t.Fatalf("a file with %s was accepted", name)
		}
	}
}

// testRedis connects to the Redis the test command provides.
func testRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	addr := os.Getenv("SFCDC_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, DialTimeout: 2 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("these tests need Redis at %s (run them with `make test`, or set SFCDC_TEST_REDIS_ADDR): %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTheRedisStoreKeepsTheTokenUnderItsKey(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	key := "cdc:test:auth:" + strings.ReplaceAll(t.Name(), "/", "_") + time.Now().Format("150405.000000000")
	t.Cleanup(func() { client.Del(context.Background(), key) })
	store := salesforce.RedisTokenStore{Client: client, Key: key}
	if _, err := store.Load(t.Context()); !errors.Is(err, salesforce.ErrNoStoredToken) {
		t.Fatalf("an absent key gave %v", err)
	}
	if err := store.Save(t.Context(), sampleToken); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(t.Context())
	if err != nil || got != sampleToken {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if ttl := client.TTL(t.Context(), key).Val(); ttl != -1 {
		t.Fatalf("the key expires (TTL %v); a refresh token lasts until revoked", ttl)
	}
	client.Set(t.Context(), key, "garbage", 0)
	if _, err := store.Load(t.Context()); err == nil {
		t.Fatal("a corrupt value was accepted")
	}
}
