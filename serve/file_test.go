package serve_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
)

// writeFile writes text to a file in a fresh folder and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) (string, bool) { return "", false }

func TestLoadFileReadsTheStoreAndTheSettings(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "REDIS_URL" {
			return "redis://127.0.0.1:6379/0", true
		}
		return "", false
	}
	path := writeFile(t, "serve.yaml", "store:\n  redis_url: ${REDIS_URL}\n  key_prefix: \"test:\"\ninstance: serve-1\nlease_ttl: 10s\npoll_interval: 500ms\ndisable_after: 30m\n")
	f, err := serve.LoadFile(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if f.Store.RedisURL != "redis://127.0.0.1:6379/0" || f.Store.KeyPrefix != "test:" || f.Instance != "serve-1" ||
		f.LeaseTTL != 10*time.Second || f.PollInterval != 500*time.Millisecond || f.DisableAfter != 30*time.Minute {
		t.Fatalf("read %+v", f)
	}
}

func TestLoadFileNamesEveryProblemWithItsLine(t *testing.T) {
	path := writeFile(t, "serve.yaml", "store:\n  redis_url: redis://127.0.0.1:6379\ninstance: \"a\\tb\"\nlease_tll: 10s\nlease_ttl: 200ms\npoll_interval: -1s\nsecret_key_file: /nonexistent/keys\nstroe: {}\n")
	_, err := serve.LoadFile(path, noEnv)
	if !errors.Is(err, integration.ErrInvalid) {
		t.Fatalf("%v, want ErrInvalid", err)
	}
	for _, want := range []string{
		"lease_tll (line 4): unknown key; did you mean lease_ttl?",
		"stroe (line 8): unknown key; did you mean store?",
		"instance (line 3): \"a\\tb\" holds the control character",
		"lease_ttl (line 5): 200ms is under 1s",
		"poll_interval (line 6): -1s is negative",
		"secret_key_file (line 7): \"/nonexistent/keys\"",
		"sfcdc integrations generate-key",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadFileRefusesAMissingStoreAndAMissingPath(t *testing.T) {
	_, err := serve.LoadFile(writeFile(t, "serve.yaml", "instance: serve-1\n"), noEnv)
	if !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "redis_url, redis_addrs, file_path: none set") {
		t.Fatalf("no store: %v", err)
	}
	if _, err := serve.LoadFile("", noEnv); !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "--config is required") {
		t.Fatalf("no path: %v", err)
	}
	if _, err := serve.LoadFile(filepath.Join(t.TempDir(), "none.yaml"), noEnv); !errors.Is(err, integration.ErrInvalid) {
		t.Fatalf("a missing file: %v", err)
	}
}

func TestKeysComeFromTheEnvironmentOrTheKeyFileAndNeitherIsNamed(t *testing.T) {
	key, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, err = serve.File{}.Keys("")
	if !errors.Is(err, integration.ErrInvalid) || !errors.Is(err, sealed.ErrNoKey) {
		t.Fatalf("neither set: %v, want ErrInvalid and sealed.ErrNoKey", err)
	}
	for _, want := range []string{"SFCDC_SECRET_KEY", "secret_key_file", "sfcdc integrations generate-key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("neither set: the error lacks %q: %v", want, err)
		}
	}
	if keys, err := (serve.File{}).Keys(key); err != nil || len(keys.IDs()) != 1 {
		t.Fatalf("from the environment: %v", err)
	}
	file := serve.File{Settings: serve.Settings{SecretKeyFile: writeFile(t, "keys", key+"\n")}}
	if keys, err := file.Keys(""); err != nil || len(keys.IDs()) != 1 {
		t.Fatalf("from the key file: %v", err)
	}
	if _, err := file.Keys(key); !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "keep one") {
		t.Fatalf("both: %v, want keep one", err)
	}
	if _, err := (serve.File{}).Keys("not a key"); !errors.Is(err, integration.ErrInvalid) || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("a bad key: %v, want ErrInvalid without the value", err)
	}
}

// The serve file's secrets (the console's admin token, the webhook's
// signing key) read from YAML still open the console and sign, yet no way
// of printing, logging or encoding the settings shows them.
func TestCanaryTheSettingsSecretsNeverShowWhenPrinted(t *testing.T) {
	t.Parallel()
	const token, key = "CANARY-admin-token-6d1e", "CANARY-webhook-key-90af"
	path := writeFile(t, "serve.yaml", "store:\n  file_path: "+filepath.Join(t.TempDir(), "state.db")+
		"\nadmin_token: "+token+"\nwebhook_url: https://hooks.example/in\nwebhook_secret: "+key+"\n")
	f, err := serve.LoadFile(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	s := f.Settings
	if string(s.AdminToken) != token || string(s.WebhookSecret) != key {
		t.Fatalf("the secrets read as %d and %d bytes, want the file's", len(s.AdminToken), len(s.WebhookSecret))
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x\n", s, s, s, s.AdminToken, s.AdminToken, s.AdminToken)
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	slog.New(slog.NewTextHandler(&out, nil)).Info("settings", "settings", s, "token", s.AdminToken)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("settings", "token", s.AdminToken, "key", s.WebhookSecret)
	for _, secret := range []string{token, key, "CANARY"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("%s shows in:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "[REDACTED]") {
		t.Fatalf("the secrets are not marked as redacted:\n%s", out.String())
	}
}
