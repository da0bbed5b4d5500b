package salesforce

import (
	"bytes"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestPubSubRefusesStream101OnOneConnection speaks HTTP/2 itself, so no
// client-side queueing hides what the server does: the server advertises
// SETTINGS_MAX_CONCURRENT_STREAMS 100 (reference §2.8), keeps 100 open
// Subscribe streams (each waiting for its first FetchRequest), and resets
// the 101st with REFUSED_STREAM. A grpc-go client, reading the setting,
// queues its 101st stream instead of opening it.
func TestPubSubRefusesStream101OnOneConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Hour, true)
	conn, err := net.Dial("tcp", h.server.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// No timing in the assertions: the deadline only bounds a hung test.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}

	var maxStreams uint32
	for maxStreams == 0 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's SETTINGS: %v", err)
		}
		if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
			v, ok := s.Value(http2.SettingMaxConcurrentStreams)
			if !ok {
				t.Fatal("the server's SETTINGS set no MAX_CONCURRENT_STREAMS: unlimited streams per connection")
			}
			maxStreams = v
			if err := fr.WriteSettingsAck(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if maxStreams != MaxStreamsPerConnection {
		t.Fatalf("MAX_CONCURRENT_STREAMS %d, want %d", maxStreams, MaxStreamsPerConnection)
	}

	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", "/eventbus.v1.PubSub/Subscribe"}, {":authority", h.server.Addr()},
		{"content-type", "application/grpc"}, {"te", "trailers"},
		{"accesstoken", h.token}, {"instanceurl", testInstance}, {"tenantid", testOrgID},
	} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	// Streams 1, 3, …, 201: the 101st is 201. Frames are handled in order
	// on the connection, so the first 100 are open when the 101st arrives.
	const streams = MaxStreamsPerConnection + 1
	for i := range streams {
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: block.Bytes(), EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	last := uint32(2*streams - 1)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("no RST_STREAM for stream %d: %v", last, err)
		}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID != last || f.ErrCode != http2.ErrCodeRefusedStream {
				t.Fatalf("RST_STREAM %v on stream %d; want REFUSED_STREAM on stream %d only", f.ErrCode, f.StreamID, last)
			}
			return
		case *http2.HeadersFrame:
			// A stream answered with headers ended early: only the 101st may be refused.
			t.Fatalf("stream %d answered headers (a refused or ended stream) although it is within the limit", f.StreamID)
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v instead of refusing stream %d", f.ErrCode, last)
		}
	}
}
