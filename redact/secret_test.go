package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/redact"
)

// A Secret shows [REDACTED] however it is printed, logged or encoded,
// alone or inside a struct; its value is only Reveal (or a conversion to
// string).
func TestCanaryASecretNeverShowsItsValue(t *testing.T) {
	t.Parallel()
	const value = "CANARY-secret-value-5a0b"
	s := redact.Secret(value)
	holder := struct {
		Name  string
		Token redact.Secret
	}{"console", s}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %X %d\n", s, holder, holder, s, s, s, s, s)
	js, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	out.Write(text)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "token", s, "holder", holder)
	if strings.Contains(out.String(), "CANARY") {
		t.Fatalf("the value shows in:\n%s", out.String())
	}
	if strings.Count(out.String(), redact.Redacted) < 10 {
		t.Fatalf("want [REDACTED] everywhere:\n%s", out.String())
	}
	if s.Reveal() != value || string(s) != value {
		t.Fatal("the value is lost")
	}
}
