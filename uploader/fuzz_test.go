package uploader

import (
	"errors"
	"net/http"
	"strings"
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

// FuzzDecodeAnswer feeds outside bytes (a 2xx body and its Content-Type)
// through the client's decoding: whatever they are, the result is
// delivered, retried or a FatalError for a wrong base URL, and its text is
// one printable, bounded line that never repeats the token.
func FuzzDecodeAnswer(f *testing.F) {
	const token = "fuzz-token-7c1e"
	for _, s := range []struct{ body, contentType string }{
		{`{"status":"ok","new":1,"updated":0,"unchanged":0}`, "application/json"},
		{`{"status":"ok"}`, "application/problem+json; charset=utf-8"},
		{`<html>`, "text/html"},
		{`{"status":"` + token + `"}`, ""},
		{``, "application/json"},
		{`{}`, "text/html; charset"},
		{`{"status":"ok"}`, "\x00\n;;="},
	} {
		f.Add([]byte(s.body), s.contentType, false)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, tooLarge bool) {
		c := &cmClient{auth: "Bearer " + token}
		a := answer{status: 200, body: body, header: http.Header{"Content-Type": {contentType}}, tooLarge: tooLarge}
		for _, read := range []func([]byte) error{decodeStatusOK, func(b []byte) error { _, err := decodeSyncResponse(b); return err }} {
			err := c.decode("sync", a, read)
			if err == nil {
				if tooLarge {
					t.Fatal("an answer too large was accepted")
				}
				continue
			}
			var fe *FatalError
			var te *transientError
			if !(errors.As(err, &fe) && errors.Is(err, ErrNotCMAPI)) && !errors.As(err, &te) {
				t.Fatalf("error %v is neither retried nor ErrNotCMAPI", err)
			}
			msg := err.Error()
			if strings.Contains(msg, token) {
				t.Fatalf("the token is in %q", msg)
			}
			for _, r := range msg {
				if !unicode.IsPrint(r) {
					t.Fatalf("message keeps an unprintable rune %q: %q", r, msg)
				}
			}
			if len(msg) > 2000 {
				t.Fatalf("message of %d bytes", len(msg))
			}
		}
	})
}
