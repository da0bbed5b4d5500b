package redact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/redact"
)

// tokenValue is a LogValuer standing for a credential-shaped text.
type tokenValue struct{}

func (tokenValue) LogValue() slog.Value { return slog.StringValue("Bearer CANARY-valuer") }

// stringer is a value printed through its String method.
type stringer struct{}

func (stringer) String() string { return "post https://x/token?refresh_token=CANARY-stringer" }

func TestALoggerNeverWritesACredentialWhateverTheFormat(t *testing.T) {
	for _, format := range []string{redact.FormatText, redact.FormatJSON} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			log, err := redact.Logger(&out, slog.LevelInfo, format)
			if err != nil {
				t.Fatal(err)
			}
			log = log.With("client_secret", "CANARY-with", "note", "Bearer CANARY-withtext")
			log.WithGroup("call").Warn("refresh failed: access_token=CANARY-message",
				"access_token", "CANARY-token", "Authorization", "Bearer CANARY-bearer",
				"err", errors.New("post https://x/token?refresh_token=CANARY-refresh: 400"),
				"answer", `{"access_token":"00D5g000004ABCD!CANARYsession"}`,
				slog.Group("request", "password", "CANARY-group", "url", "https://x/?token=CANARY-grouptext"),
				"valuer", tokenValue{}, "stringer", stringer{}, "raw", []byte("Bearer CANARY-bytes"),
				"topic", "/data/X", "count", 3)
			line := out.String()
			if strings.Contains(line, "CANARY") {
				t.Fatalf("%s line still holds a credential:\n%s", format, line)
			}
			for _, want := range []string{"/data/X", redact.KeyMarker, redact.Marker, "refresh failed"} {
				if !strings.Contains(line, want) {
					t.Errorf("%s line %q lacks %q", format, line, want)
				}
			}
			if format == redact.FormatJSON {
				var entry map[string]any
				if err := json.Unmarshal(out.Bytes(), &entry); err != nil {
					t.Fatalf("not one JSON object: %v: %q", err, line)
				}
				if call, _ := entry["call"].(map[string]any); call == nil || call["topic"] != "/data/X" || call["count"] != 3.0 {
					t.Errorf("JSON entry %v: want the group and the plain values kept as they were", entry)
				}
			}
		})
	}
}

func TestALoggerKeepsItsLevel(t *testing.T) {
	var out bytes.Buffer
	log := redact.TextLogger(&out, slog.LevelWarn)
	log.Info("below the level")
	log.Warn("at the level")
	if strings.Contains(out.String(), "below") || !strings.Contains(out.String(), "at the level") {
		t.Fatalf("output %q: want only the warning", out.String())
	}
}

func TestAnUnknownLogFormatIsRefused(t *testing.T) {
	if _, err := redact.Logger(&bytes.Buffer{}, slog.LevelInfo, "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("format xml: %v, want an error naming it", err)
	}
}
