package replaytest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

const (
	integrationA = "acme/support"
	integrationB = "acme/sales"
)

func runRegistry(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a new document is put at version 0 and read back with its version", func(t *testing.T) {
		s := open(t)
		v0, err := s.RegistryVersion(t.Context())
		noErr(t, "RegistryVersion", err)
		if v0 != 0 {
			t.Fatalf("an empty registry is at version %d; want 0", v0)
		}
		doc := []byte("name: acme/support\n\x00binary-safe\xff")
		v, err := s.PutIntegration(t.Context(), integrationA, doc, 0)
		noErr(t, "PutIntegration", err)
		got, err := s.Integration(t.Context(), integrationA)
		noErr(t, "Integration", err)
		if got.Name != integrationA || got.Version != v || !bytes.Equal(got.Doc, doc) || !recent(got.Updated) {
			t.Fatalf("read back %+v; want version %d and the same bytes", got, v)
		}
		rv, err := s.RegistryVersion(t.Context())
		noErr(t, "RegistryVersion", err)
		if rv != v || v <= 0 {
			t.Fatalf("registry version %d after a put at version %d", rv, v)
		}
		_, err = s.Integration(t.Context(), integrationB)
		wantErr(t, "Integration of a name never put", err, replay.ErrNotFound)
	})

	t.Run("a put with a stale version is refused and says the stored one", func(t *testing.T) {
		s := open(t)
		v1, err := s.PutIntegration(t.Context(), integrationA, []byte("one"), 0)
		noErr(t, "PutIntegration", err)
		_, err = s.PutIntegration(t.Context(), integrationA, []byte("again as new"), 0)
		var conflict *replay.VersionConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, replay.ErrVersionConflict) || conflict.Stored != v1 {
			t.Fatalf("a second create: %v; want a VersionConflictError with stored version %d", err, v1)
		}
		v2, err := s.PutIntegration(t.Context(), integrationA, []byte("two"), v1)
		noErr(t, "PutIntegration at the stored version", err)
		if v2 <= v1 {
			t.Fatalf("version %d after %d; want it to grow", v2, v1)
		}
		_, err = s.PutIntegration(t.Context(), integrationA, []byte("stale"), v1)
		wantErr(t, "a put at the old version", err, replay.ErrVersionConflict)
		got, _ := s.Integration(t.Context(), integrationA)
		if string(got.Doc) != "two" {
			t.Fatalf("after a refused put the document is %q; want %q", got.Doc, "two")
		}
	})

	t.Run("the list is ordered by name and every change bumps the registry version", func(t *testing.T) {
		s := open(t)
		var last int64
		bumped := func(what string) {
			t.Helper()
			v, err := s.RegistryVersion(t.Context())
			noErr(t, "RegistryVersion", err)
			if v <= last {
				t.Fatalf("%s left the registry version at %d (was %d)", what, v, last)
			}
			last = v
		}
		vA, err := s.PutIntegration(t.Context(), integrationA, []byte("a"), 0)
		noErr(t, "put A", err)
		bumped("put A")
		vB, err := s.PutIntegration(t.Context(), integrationB, []byte("b"), 0)
		noErr(t, "put B", err)
		bumped("put B")
		all, err := s.Integrations(t.Context())
		noErr(t, "Integrations", err)
		if len(all) != 2 || all[0].Name != integrationB || all[1].Name != integrationA || all[0].Version != vB || all[1].Version != vA {
			t.Fatalf("list %+v; want acme/sales then acme/support with their versions", all)
		}
		err = s.DeleteIntegration(t.Context(), integrationA, vA+100)
		wantErr(t, "delete at a wrong version", err, replay.ErrVersionConflict)
		noErr(t, "DeleteIntegration", s.DeleteIntegration(t.Context(), integrationA, vA))
		bumped("delete A")
		wantErr(t, "delete again", s.DeleteIntegration(t.Context(), integrationA, vA), replay.ErrNotFound)
		all, _ = s.Integrations(t.Context())
		if len(all) != 1 || all[0].Name != integrationB {
			t.Fatalf("list after delete %+v; want only acme/sales", all)
		}
		// Re-created after a delete: version 0 is expected again.
		v, err := s.PutIntegration(t.Context(), integrationA, []byte("a again"), 0)
		noErr(t, "re-create A", err)
		if v <= last {
			t.Fatalf("re-created at version %d; want more than %d", v, last)
		}
	})

	t.Run("concurrent writers at one version: exactly one wins", func(t *testing.T) {
		s := open(t)
		v, err := s.PutIntegration(t.Context(), integrationA, []byte("base"), 0)
		noErr(t, "put", err)
		const writers = 8
		var wg sync.WaitGroup
		wins := make(chan int, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.PutIntegration(t.Context(), integrationA, []byte(fmt.Sprint("writer ", w)), v); err == nil {
					wins <- w
				} else if !errors.Is(err, replay.ErrVersionConflict) {
					t.Errorf("writer %d: %v", w, err)
				}
			}()
		}
		wg.Wait()
		close(wins)
		var won []int
		for w := range wins {
			won = append(won, w)
		}
		if len(won) != 1 {
			t.Fatalf("%d writers won at one version; want exactly 1", len(won))
		}
		got, _ := s.Integration(t.Context(), integrationA)
		if string(got.Doc) != fmt.Sprint("writer ", won[0]) {
			t.Fatalf("stored %q; want the winner's document", got.Doc)
		}
	})

	t.Run("bad names and documents are refused as invalid", func(t *testing.T) {
		s := open(t)
		_, err := s.PutIntegration(t.Context(), "", []byte("x"), 0)
		wantErr(t, "empty name", err, replay.ErrInvalid)
		_, err = s.PutIntegration(t.Context(), "a\nb", []byte("x"), 0)
		wantErr(t, "control character", err, replay.ErrInvalid)
		_, err = s.PutIntegration(t.Context(), integrationA, nil, 0)
		wantErr(t, "empty document", err, replay.ErrInvalid)
		_, err = s.PutIntegration(t.Context(), integrationA, make([]byte, 1<<20+1), 0)
		wantErr(t, "document over 1 MiB", err, replay.ErrInvalid)
	})
}

func runMembers(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("instances are live while they beat and gone when they stop or leave", func(t *testing.T) {
		s := open(t)
		a, err := s.Heartbeat(t.Context(), holderA, longTTL)
		noErr(t, "Heartbeat A", err)
		if a.Name != holderA || !recent(a.Joined) || a.Expires.Sub(a.Joined) < longTTL-time.Second {
			t.Fatalf("member %+v; want joined now and expiring a TTL later", a)
		}
		_, err = s.Heartbeat(t.Context(), holderB, shortTTL)
		noErr(t, "Heartbeat B", err)
		live, err := s.Members(t.Context())
		noErr(t, "Members", err)
		if len(live) != 2 || live[0].Name != holderA || live[1].Name != holderB {
			t.Fatalf("members %+v; want A then B", live)
		}
		// B stops beating: gone after its TTL (polled, not slept on).
		poll(t, "B's heartbeat to run out", func() bool {
			live, err := s.Members(t.Context())
			noErr(t, "Members", err)
			return len(live) == 1 && live[0].Name == holderA
		})
		// A beats again: same join time, later expiry.
		again, err := s.Heartbeat(t.Context(), holderA, longTTL)
		noErr(t, "Heartbeat A again", err)
		if !again.Joined.Equal(a.Joined) || again.Expires.Before(a.Expires) {
			t.Fatalf("a second heartbeat %+v after %+v; want the same join time and a later expiry", again, a)
		}
		noErr(t, "Leave", s.Leave(t.Context(), holderA))
		noErr(t, "Leave twice", s.Leave(t.Context(), holderA))
		live, _ = s.Members(t.Context())
		if len(live) != 0 {
			t.Fatalf("members after A left: %+v; want none", live)
		}
		// Back after leaving: a new run, a new join time.
		back, err := s.Heartbeat(t.Context(), holderA, longTTL)
		noErr(t, "Heartbeat after leaving", err)
		if back.Joined.Before(a.Joined) {
			t.Fatalf("rejoined at %s, before the first join %s", back.Joined, a.Joined)
		}
	})

	t.Run("bad instance names and TTLs are refused as invalid", func(t *testing.T) {
		s := open(t)
		_, err := s.Heartbeat(t.Context(), "", longTTL)
		wantErr(t, "empty instance", err, replay.ErrInvalid)
		_, err = s.Heartbeat(t.Context(), holderA, 0)
		wantErr(t, "zero TTL", err, replay.ErrInvalid)
		wantErr(t, "leave with an empty name", s.Leave(t.Context(), ""), replay.ErrInvalid)
	})
}

func runReports(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("reports live for their TTL, are replaced by key and can be deleted", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveReport", s.SaveReport(t.Context(), "acme/support@instance-a", []byte("streaming"), longTTL))
		noErr(t, "SaveReport", s.SaveReport(t.Context(), "acme/sales@instance-b", []byte("error\x00binary"), shortTTL))
		got, err := s.Reports(t.Context())
		noErr(t, "Reports", err)
		if len(got) != 2 || string(got["acme/support@instance-a"]) != "streaming" || string(got["acme/sales@instance-b"]) != "error\x00binary" {
			t.Fatalf("reports %q; want both as saved", got)
		}
		noErr(t, "SaveReport again", s.SaveReport(t.Context(), "acme/support@instance-a", []byte("backfilling"), longTTL))
		poll(t, "the short report to run out", func() bool {
			got, err := s.Reports(t.Context())
			noErr(t, "Reports", err)
			return len(got) == 1 && string(got["acme/support@instance-a"]) == "backfilling"
		})
		noErr(t, "DeleteReport", s.DeleteReport(t.Context(), "acme/support@instance-a"))
		noErr(t, "DeleteReport of a missing one", s.DeleteReport(t.Context(), "acme/support@instance-a"))
		if got, _ := s.Reports(t.Context()); len(got) != 0 {
			t.Fatalf("reports after delete: %q", got)
		}
		wantErr(t, "empty key", s.SaveReport(t.Context(), "", []byte("x"), longTTL), replay.ErrInvalid)
		wantErr(t, "zero TTL", s.SaveReport(t.Context(), "k", []byte("x"), 0), replay.ErrInvalid)
	})

	t.Run("a batch of reports is saved at once, a refused one named and the others kept", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveReport", s.SaveReport(t.Context(), "acme/old@instance-a", []byte("starting"), longTTL))
		docs := map[string][]byte{}
		for i := range 300 {
			docs[fmt.Sprintf("acme/org-%03d@instance-a", i)] = []byte(fmt.Sprintf("streaming %d", i))
		}
		docs["acme/old@instance-a"] = []byte("streaming")
		noErr(t, "SaveReports", s.SaveReports(t.Context(), docs, longTTL))
		got, err := s.Reports(t.Context())
		noErr(t, "Reports", err)
		if len(got) != len(docs) {
			t.Fatalf("%d reports after a batch of %d", len(got), len(docs))
		}
		for k, v := range docs {
			if string(got[k]) != string(v) {
				t.Fatalf("report %s is %q; want %q", k, got[k], v)
			}
		}
		err = s.SaveReports(t.Context(), map[string][]byte{"": []byte("x"), "acme/good@instance-b": []byte("ok")}, shortTTL)
		wantErr(t, "a batch with an empty key", err, replay.ErrInvalid)
		if got, _ := s.Reports(t.Context()); string(got["acme/good@instance-b"]) != "ok" {
			t.Fatalf("the valid report of a batch with a refused one was not saved: %q", got["acme/good@instance-b"])
		}
		poll(t, "the batch's short report to run out", func() bool {
			got, err := s.Reports(t.Context())
			noErr(t, "Reports", err)
			_, still := got["acme/good@instance-b"]
			return !still && len(got) == len(docs)
		})
		wantErr(t, "zero TTL", s.SaveReports(t.Context(), docs, 0), replay.ErrInvalid)
	})
}
