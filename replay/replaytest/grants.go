package replaytest

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/sfcdc/sfcdc/replay"
)

func runGrants(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a grant is put at version 0, read back byte for byte, and does not move the registry version", func(t *testing.T) {
		s := open(t)
		doc := []byte("sealed\x00grant\xff")
		v, err := s.PutGrant(t.Context(), integrationA, doc, 0)
		noErr(t, "PutGrant", err)
		got, err := s.Grant(t.Context(), integrationA)
		noErr(t, "Grant", err)
		if v != 1 || got.Version != 1 || !bytes.Equal(got.Doc, doc) || !recent(got.Updated) {
			t.Fatalf("read back %+v after a put at version %d; want version 1 and the same bytes", got, v)
		}
		rv, err := s.RegistryVersion(t.Context())
		noErr(t, "RegistryVersion", err)
		if rv != 0 {
			t.Fatalf("a grant write moved the registry version to %d", rv)
		}
		_, err = s.Grant(t.Context(), integrationB)
		wantErr(t, "Grant of a name never put", err, replay.ErrNotFound)
	})

	t.Run("a put with a stale version is refused and says the stored one", func(t *testing.T) {
		s := open(t)
		_, err := s.PutGrant(t.Context(), integrationA, []byte("one"), 0)
		noErr(t, "PutGrant", err)
		v2, err := s.PutGrant(t.Context(), integrationA, []byte("two"), 1)
		noErr(t, "PutGrant at version 1", err)
		_, err = s.PutGrant(t.Context(), integrationA, []byte("stale"), 1)
		var conflict *replay.VersionConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, replay.ErrVersionConflict) || conflict.Stored != v2 {
			t.Fatalf("a stale put = %v; want a version conflict naming version %d", err, v2)
		}
		got, err := s.Grant(t.Context(), integrationA)
		noErr(t, "Grant", err)
		if string(got.Doc) != "two" {
			t.Fatalf("the stale put changed the grant to %q", got.Doc)
		}
	})

	t.Run("of many writers at the same version exactly one wins", func(t *testing.T) {
		s := open(t)
		_, err := s.PutGrant(t.Context(), integrationA, []byte("base"), 0)
		noErr(t, "PutGrant", err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Go(func() {
				if _, err := s.PutGrant(t.Context(), integrationA, []byte("mine"), 1); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d writers won the same version; want exactly 1", won)
		}
	})

	t.Run("a deleted grant is gone, deleting it again is harmless, and a new one starts at version 1", func(t *testing.T) {
		s := open(t)
		_, err := s.PutGrant(t.Context(), integrationA, []byte("one"), 0)
		noErr(t, "PutGrant", err)
		_, err = s.PutGrant(t.Context(), integrationB, []byte("other"), 0)
		noErr(t, "PutGrant", err)
		noErr(t, "DeleteGrant", s.DeleteGrant(t.Context(), integrationA))
		noErr(t, "DeleteGrant again", s.DeleteGrant(t.Context(), integrationA))
		_, err = s.Grant(t.Context(), integrationA)
		wantErr(t, "Grant after delete", err, replay.ErrNotFound)
		if got, err := s.Grant(t.Context(), integrationB); err != nil || string(got.Doc) != "other" {
			t.Fatalf("the other grant after a delete: %q, %v", got.Doc, err)
		}
		v, err := s.PutGrant(t.Context(), integrationA, []byte("anew"), 0)
		noErr(t, "PutGrant after delete", err)
		if v != 1 {
			t.Fatalf("a grant put after a delete is at version %d; want 1", v)
		}
	})

	t.Run("bad names and documents are refused", func(t *testing.T) {
		s := open(t)
		_, err := s.PutGrant(t.Context(), "", []byte("x"), 0)
		wantErr(t, "PutGrant without a name", err, replay.ErrInvalid)
		_, err = s.PutGrant(t.Context(), integrationA, nil, 0)
		wantErr(t, "PutGrant of an empty document", err, replay.ErrInvalid)
		_, err = s.Grant(t.Context(), "bad\x01name")
		wantErr(t, "Grant of a name with a control character", err, replay.ErrInvalid)
	})
}
