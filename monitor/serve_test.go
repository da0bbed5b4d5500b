package monitor_test

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/monitor"
)

func TestServeOnlyWarnsAtABusyDefaultAddressButFailsAtABusyConfiguredOne(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	srv, err := monitor.Serve(monitor.Settings{}, monitor.Settings{}.Config(), held.Addr().String(), log)
	if err != nil || srv != nil || srv.Listening() != monitor.Off || !strings.Contains(logs.String(), "default monitoring address is in use") {
		t.Fatalf("busy default: server %v, error %v, log %q; want none, off, with a warning", srv, err, logs.String())
	}
	configured := monitor.Settings{Listen: held.Addr().String()}
	if srv, err = monitor.Serve(configured, configured.Config(), monitor.DefaultListen, log); err == nil || !strings.Contains(err.Error(), held.Addr().String()) {
		t.Fatalf("busy configured address: server %v, error %v; want an error naming it", srv, err)
	}
	off := monitor.Settings{Listen: monitor.Off}
	if srv, err = monitor.Serve(off, off.Config(), held.Addr().String(), log); err != nil || srv != nil {
		t.Fatalf("monitoring off: server %v, error %v; want none", srv, err)
	}
	srv.Shutdown(log) // a server that is off has nothing to close
}

func TestServeListensAtTheDefaultAddressAndShutsDown(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv, err := monitor.Serve(monitor.Settings{}, monitor.Settings{}.Config(), "127.0.0.1:0", log)
	if err != nil || srv == nil {
		t.Fatalf("free default address: server %v, error %v", srv, err)
	}
	addr := srv.Listening()
	if !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Fatalf("listening at %q, want the real port on 127.0.0.1", addr)
	}
	srv.Shutdown(log)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Shutdown", addr)
	}
}
