package liblog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestGRPCAndRedisLibraryLinesBecomeJSONLogEntries(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	verbose := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	RedisLogger{Log: log}.Printf(t.Context(), "redis: below the info level: %d\n", 1)
	RedisLogger{Log: verbose}.Printf(t.Context(), "redis: connection pool: failed to dial after %d attempts\n", 5)
	GRPCLogger{Log: log.With("component", "grpc")}.Errorf("[transport] %s", "connection reset")
	GRPCLogger{Log: log}.Infof("chatter below the info level")
	if (GRPCLogger{Log: log}).V(2) || !(GRPCLogger{Log: verbose}).V(2) {
		t.Error("gRPC's verbose logging should follow slog's debug level")
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (gRPC info and go-redis go to debug):\n%s", len(lines), out.String())
	}
	for i, want := range []map[string]any{
		{"level": "DEBUG", "component": "redis", "msg": "redis: connection pool: failed to dial after 5 attempts"},
		{"level": "ERROR", "component": "grpc", "msg": "[transport] connection reset"},
	} {
		var entry map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &entry); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", i+1, err, lines[i])
		}
		for k, v := range want {
			if entry[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i+1, k, entry[k], v)
			}
		}
	}
}
