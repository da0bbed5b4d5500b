package uploader

import (
	"net/http"
	"testing"
	"time"
	"unicode"
)

func FuzzDecodeSyncResponse(f *testing.F) {
	for _, s := range []string{
		`{"status":"ok","new":1,"updated":2,"unchanged":3}`, `{"status":"ok"}`, `{"status":"error","message":"x"}`,
		`<html>proxy</html>`, `{"status":"ok","new":-1}`, `{"status":"ok","new":1e400}`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		counts, err := decodeSyncResponse(body)
		if err == nil && (counts.New < 0 || counts.Updated < 0 || counts.Unchanged < 0) {
			t.Fatalf("accepted negative counts %+v", counts)
		}
		_ = decodeStatusOK(body)
	})
}

func FuzzDecodeErrorMessage(f *testing.F) {
	for _, s := range []string{`{"status":"error","message":"bad id"}`, `{"status":"error","message":"\u0000\n\u2028"}`, `oops`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := decodeErrorMessage(body)
		for _, r := range msg {
			if !unicode.IsPrint(r) {
				t.Fatalf("message keeps an unprintable rune %q", r)
			}
		}
		if len([]rune(msg)) > 301 {
			t.Fatalf("message of %d runes", len([]rune(msg)))
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"7", "0", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(http.Header{"Retry-After": {v}}, now)
		if ok && d < 0 {
			t.Fatalf("negative wait %v for %q", d, v)
		}
	})
}
