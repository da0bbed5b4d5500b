package replaytest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func runOAuthStates(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a state record is taken once: the second take finds nothing", func(t *testing.T) {
		s := open(t)
		doc := []byte("sealed\x00state\xff")
		noErr(t, "PutOAuthState", s.PutOAuthState(t.Context(), "st-1", doc, time.Minute))
		got, err := s.TakeOAuthState(t.Context(), "st-1")
		noErr(t, "TakeOAuthState", err)
		if !bytes.Equal(got, doc) {
			t.Fatalf("took %q; want the bytes put", got)
		}
		_, err = s.TakeOAuthState(t.Context(), "st-1")
		wantErr(t, "a second TakeOAuthState", err, replay.ErrNotFound)
		_, err = s.TakeOAuthState(t.Context(), "never-put")
		wantErr(t, "TakeOAuthState of an unknown id", err, replay.ErrNotFound)
	})

	t.Run("of many simultaneous takes exactly one gets the record", func(t *testing.T) {
		s := open(t)
		noErr(t, "PutOAuthState", s.PutOAuthState(t.Context(), "st-race", []byte("x"), time.Minute))
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := 0
		for range 8 {
			wg.Go(func() {
				if _, err := s.TakeOAuthState(t.Context(), "st-race"); err == nil {
					mu.Lock()
					got++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if got != 1 {
			t.Fatalf("%d takes got the record; want exactly 1", got)
		}
	})

	t.Run("an expired record is not found", func(t *testing.T) {
		s := open(t)
		noErr(t, "PutOAuthState", s.PutOAuthState(t.Context(), "st-old", []byte("x"), 30*time.Millisecond))
		time.Sleep(80 * time.Millisecond) // past the TTL on the store's clock
		_, err := s.TakeOAuthState(t.Context(), "st-old")
		wantErr(t, "TakeOAuthState after the TTL", err, replay.ErrNotFound)
	})

	t.Run("bad ids, records and TTLs are refused", func(t *testing.T) {
		s := open(t)
		wantErr(t, "PutOAuthState without an id", s.PutOAuthState(t.Context(), "", []byte("x"), time.Minute), replay.ErrInvalid)
		wantErr(t, "PutOAuthState of an empty record", s.PutOAuthState(t.Context(), "st", nil, time.Minute), replay.ErrInvalid)
		wantErr(t, "PutOAuthState without a TTL", s.PutOAuthState(t.Context(), "st", []byte("x"), 0), replay.ErrInvalid)
	})
}
