package monitor

import (
	"strings"
	"testing"
	"time"
)

func TestMonitoringSettingsTakeTheFlagAndOffNeedsNoAddress(t *testing.T) {
	file := Settings{Listen: "127.0.0.1:1", ReadyWindow: time.Minute}
	if s := file.WithListen(""); s.Listen != "127.0.0.1:1" {
		t.Fatalf("an empty --listen replaced the file's address: %+v", s)
	}
	if s := file.WithListen("Off"); s.Enabled() || s.Validate() != nil {
		t.Fatalf("--listen Off: enabled %v, validate %v; want off and valid", s.Enabled(), s.Validate())
	}
	if c := file.Config(); c.Listen != "127.0.0.1:1" || c.ReadyWindow != time.Minute {
		t.Fatalf("config %+v", c)
	}
	err := Settings{Listen: "9464", ReadyWindow: -time.Second}.Validate()
	if err == nil || !strings.Contains(err.Error(), "listen:") || !strings.Contains(err.Error(), "ready_window:") {
		t.Fatalf("got %v, want listen and ready_window named", err)
	}
}
