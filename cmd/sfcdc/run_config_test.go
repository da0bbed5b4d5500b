package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/monitor"
)

func TestAnUnknownRunKeyIsRefused(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "sfcdc.yaml", "run:\n  strat: latest\n")
	if _, err := readConfigFile(t.Context(), path); err == nil || !strings.Contains(err.Error(), "strat") {
		t.Fatalf("got %v, want the unknown key named", err)
	}
}

func TestTheMonitoringSectionDefaultsAndFlags(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "sfcdc.yaml", "monitoring:\n  listen: off\n  ready_window: 10m\n")
	conf, err := readConfigFile(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if conf.Monitoring.Enabled() || conf.Monitoring.ReadyWindow != 10*time.Minute {
		t.Fatalf("monitoring %+v: want off with a 10m window", conf.Monitoring)
	}
	if m := conf.Monitoring.WithListen("127.0.0.1:9999"); !m.Enabled() || m.Config().Listen != "127.0.0.1:9999" {
		t.Fatalf("--listen did not override the file: %+v", m)
	}
	if m := (monitor.Settings{}).WithListen("OFF"); m.Enabled() {
		t.Fatal("--listen OFF left monitoring on")
	}
	if err := validateMonitoring(monitor.Settings{}); err != nil {
		t.Fatalf("the zero monitoring section is refused: %v", err)
	}
}

func TestTheMonitoringSectionNamesEachBadKey(t *testing.T) {
	t.Parallel()
	err := validateMonitoring(monitor.Settings{Listen: "9464", ReadyWindow: -time.Second})
	if err == nil || !strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), "ready_window") {
		t.Fatalf("got %v, want listen and ready_window named", err)
	}
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("%v is not a usage error (exit 2)", err)
	}
	if _, err := readConfigFile(t.Context(), writeFile(t, "sfcdc.yaml", "monitoring:\n  listn: off\n")); err == nil || !strings.Contains(err.Error(), "listn") {
		t.Fatalf("got %v, want the unknown key named", err)
	}
}

func TestABusyDefaultMonitoringAddressOnlyWarnsButABusyConfiguredOneFails(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	old := defaultMonitoringListen
	defaultMonitoringListen = held.Addr().String()
	t.Cleanup(func() { defaultMonitoringListen = old })
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	m, err := serveMonitor(monitor.Settings{}, monitor.Settings{}.Config(), log)
	if err != nil {
		t.Fatalf("a busy default address stopped the process: %v", err)
	}
	if m.Listening() != monitor.Off || !strings.Contains(logs.String(), "default monitoring address is in use") {
		t.Fatalf("monitoring at %s, log %q: want off with a warning", m.Listening(), logs.String())
	}

	configured := monitor.Settings{Listen: held.Addr().String()}
	_, err = serveMonitor(configured, configured.Config(), log)
	var ue usageError
	if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), held.Addr().String()) {
		t.Fatalf("a busy configured address: %v, want a usage error naming it", err)
	}
}

func TestJSONLogsRedactCredentialKeys(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	log, err := runLogger(&out, false, "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("oops", "access_token", "CANARY-token", "Authorization", "Bearer CANARY-bearer", "topic", "/data/X")
	var entry map[string]any
	if err := json.Unmarshal([]byte(out.String()), &entry); err != nil {
		t.Fatalf("not one JSON line: %v: %q", err, out.String())
	}
	if strings.Contains(out.String(), "CANARY") || entry["topic"] != "/data/X" {
		t.Fatalf("log line %q: want the credentials redacted and the topic kept", out.String())
	}
	// Credentials quoted inside a message or an error value (a library's
	// error repeating a URL or a server answer) are removed too.
	for _, format := range []string{"json", "text"} {
		var line syncBuffer
		log, err := runLogger(&line, false, format)
		if err != nil {
			t.Fatal(err)
		}
		log.Warn("token refresh failed", "err", errors.New("post https://x/token?refresh_token=CANARY-refresh: 400"),
			"answer", `{"access_token":"00D5g000004ABCD!CANARYsession"}`, "topic", "/data/X")
		if strings.Contains(line.String(), "CANARY") || !strings.Contains(line.String(), "/data/X") {
			t.Fatalf("%s log line %q: want the quoted credentials redacted and the topic kept", format, line.String())
		}
	}
	if _, err := runLogger(&out, false, "xml"); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Fatalf("an unknown format: %v, want an error naming --log-format", err)
	}
}
