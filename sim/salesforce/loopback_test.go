package salesforce

import (
	"errors"
	"strings"
	"testing"
)

func TestPlaintextIsServedOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:7443", "sim.example.com:7443"} {
		t.Run("pubsub "+addr, func(t *testing.T) {
			s, err := Start(SimConfig{Org: Config{Seed: 1}, PubSub: PubSubConfig{Addr: addr, Insecure: true}})
			if err == nil {
				s.Close()
				t.Fatalf("plaintext Pub/Sub on %s started", addr)
			}
			if !errors.Is(err, ErrPlaintextOffLoopback) || !strings.Contains(err.Error(), "127.0.0.1:<port>") {
				t.Fatalf("error %q does not say plaintext needs a loopback address and which to use", err)
			}
		})
	}
	t.Run("rest 0.0.0.0:0", func(t *testing.T) {
		s, err := Start(SimConfig{Org: Config{Seed: 1}, PubSub: PubSubConfig{Insecure: true}, REST: RESTConfig{Addr: "0.0.0.0:0"}})
		if err == nil {
			s.Close()
			t.Fatal("plaintext REST API on 0.0.0.0 started")
		}
		if !errors.Is(err, ErrPlaintextOffLoopback) {
			t.Fatalf("error %q does not say plaintext needs a loopback address", err)
		}
	})
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		t.Run("accepted "+addr, func(t *testing.T) {
			s, err := Start(SimConfig{Org: Config{Seed: 1}, PubSub: PubSubConfig{Addr: addr, Insecure: true}, REST: RESTConfig{Addr: addr}})
			if err != nil {
				t.Fatalf("plaintext on %s: %v", addr, err)
			}
			s.Close()
		})
	}
	for addr, ok := range map[string]bool{"[::1]:7443": true, "127.8.9.10:1": true, "[::ffff:127.0.0.1]:1": true, "10.0.0.1:1": false, "no-port": false} {
		if err := CheckPlaintextAddr(addr); (err == nil) != ok {
			t.Errorf("CheckPlaintextAddr(%q) = %v, want accepted %v", addr, err, ok)
		}
	}
}
