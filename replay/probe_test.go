package replay_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/replay"
)

// prefixKeys lists the keys under prefix on the shared Redis.
func prefixKeys(t *testing.T, prefix string) []string {
	t.Helper()
	client := newRedisClient(redisAddr())
	defer client.Close()
	keys, err := client.Keys(t.Context(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestProbeWritesAndDeletesAProbeKeyAndReportsRedisPersistence(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t)
	report, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + redisAddr() + "/0", KeyPrefix: prefix})
	if err != nil {
		t.Fatalf("Probe = %v", err)
	}
	if report.Where != "redis "+redisAddr() {
		t.Errorf("Where = %q", report.Where)
	}
	if !strings.Contains(report.Persistence, "appendonly ") || !strings.Contains(report.Persistence, "save ") {
		t.Errorf("Persistence = %q, want appendonly and save", report.Persistence)
	}
	if keys := prefixKeys(t, prefix); len(keys) != 0 {
		t.Errorf("keys left behind: %v", keys)
	}
}

func TestProbeReportsAnAppendOnlyRedisAsPersisting(t *testing.T) {
	t.Parallel()
	r := startPrivateRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	report, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + r.addr})
	if err != nil {
		t.Fatalf("Probe = %v", err)
	}
	if report.Persistence != `appendonly yes, appendfsync always, save ""` || !report.Persists {
		t.Errorf("Persistence = %q, Persists = %v", report.Persistence, report.Persists)
	}
}

func TestProbeReportsARedisWithoutPersistence(t *testing.T) {
	t.Parallel()
	r := startPrivateRedis(t, "--appendonly", "no", "--save", "")
	report, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + r.addr})
	if err != nil {
		t.Fatalf("Probe = %v", err)
	}
	if report.Persistence != `appendonly no, save ""` || report.Persists {
		t.Errorf("Persistence = %q, Persists = %v; want no persistence", report.Persistence, report.Persists)
	}
}

func TestProbeToleratesARedisThatRefusesConfig(t *testing.T) {
	t.Parallel()
	r := startPrivateRedis(t, "--rename-command", "CONFIG", "")
	report, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + r.addr})
	if err != nil {
		t.Fatalf("Probe = %v, want CONFIG's refusal tolerated", err)
	}
	if report.Persistence != "" {
		t.Errorf("Persistence = %q, want empty when CONFIG is refused", report.Persistence)
	}
}

func TestProbeNamesRedisURLWhenNobodyAnswers(t *testing.T) {
	t.Parallel()
	addr := freeLoopbackAddr(t)
	_, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://:CANARY-pw@" + addr + "/0"})
	if err == nil || !strings.HasPrefix(err.Error(), "redis_url: redis "+addr+" does not answer") {
		t.Fatalf("Probe = %v, want redis_url named as not answering", err)
	}
	if strings.Contains(err.Error(), "CANARY-pw") {
		t.Errorf("the error holds the password: %v", err)
	}
}

func TestProbeNamesTheCredentialsWhenRedisRefusesTheLogin(t *testing.T) {
	t.Parallel()
	r := startPrivateRedis(t, "--requirepass", "right-password")
	_, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + r.addr, RedisPassword: "CANARY-wrong"})
	if err == nil || !strings.HasPrefix(err.Error(), "redis_username, redis_password: ") || !strings.Contains(err.Error(), "refused the login") {
		t.Fatalf("Probe = %v, want the credentials named", err)
	}
	if strings.Contains(err.Error(), "CANARY-wrong") {
		t.Errorf("the error holds the password: %v", err)
	}
}

func TestProbeNamesARedisReplicaThatRefusesWrites(t *testing.T) {
	t.Parallel()
	primary := startPrivateRedis(t)
	replica := startPrivateRedis(t, "--replicaof", "127.0.0.1", strings.TrimPrefix(primary.addr, "127.0.0.1:"))
	_, err := replay.Probe(t.Context(), replay.Config{RedisURL: "redis://" + replica.addr})
	if err == nil || !strings.Contains(err.Error(), "write the probe key") || !strings.Contains(err.Error(), "READONLY") {
		t.Fatalf("Probe = %v, want the refused write named", err)
	}
}

func TestProbeNamesAMissingDirectoryOfTheStoreFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := replay.Probe(t.Context(), replay.Config{FilePath: filepath.Join(dir, "state.db")})
	if err == nil || !strings.Contains(err.Error(), "file_path: directory "+dir+" does not exist: create it") {
		t.Fatalf("Probe = %v, want the missing directory named", err)
	}
}

func TestProbeCreatesNothingWhereTheStoreFileWouldGo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	report, err := replay.Probe(t.Context(), replay.Config{FilePath: filepath.Join(dir, "state.db")})
	if err != nil {
		t.Fatalf("Probe = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left in the directory: %v", entries)
	}
	if report.Where != "file "+filepath.Join(dir, "state.db") {
		t.Errorf("Where = %q", report.Where)
	}
}

func TestProbeRefusesAFileThatIsNotAStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := replay.Probe(t.Context(), replay.Config{FilePath: path})
	if err == nil || !strings.Contains(err.Error(), "is not an sfcdc store file") {
		t.Fatalf("Probe = %v, want the file refused", err)
	}
}

func TestProbeOpensAnExistingStoreAndReportsOneInUse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := replay.OpenFileStore(path, replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	report, err := replay.Probe(t.Context(), replay.Config{FilePath: path, FileLockTimeout: 1})
	if err != nil || !report.InUse {
		t.Fatalf("Probe of a held file = %+v, %v; want InUse", report, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	report, err = replay.Probe(context.Background(), replay.Config{FilePath: path})
	if err != nil || report.InUse {
		t.Fatalf("Probe of a closed store = %+v, %v; want it usable", report, err)
	}
}
