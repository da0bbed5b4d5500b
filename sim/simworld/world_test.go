package simworld_test

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/sfcdc/sfcdc/replay"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // go-redis pool reaper between tests
	)
}

func TestADefaultWorldRunsOnTheFileStoreWithoutAnyRedis(t *testing.T) {
	t.Setenv("SFCDC_TEST_REDIS_ADDR", "127.0.0.1:1") // nothing answers there
	w := simworld.New(t, simworld.Options{Seed: 3})
	if _, ok := w.Store.(*replay.FileStore); !ok {
		t.Fatalf("store is %T, want the embedded file store", w.Store)
	}
	if w.Redis != nil || w.KeyPrefix != "" {
		t.Error("a file world has a Redis client or key prefix")
	}
	id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": "Kettle leaks", "Status": "New"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := w.Salesforce.Retrieve(t.Context(), "Case", []string{id}, []string{"Id", "Subject"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("retrieve the case over the world's REST client: %d records, %v", len(recs), err)
	}
	dl, err := w.Store.AddDeadLetter(t.Context(), w.Org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case", RecordID: id, Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.Store.DeadLetter(t.Context(), w.Org, dl); err != nil || got.RecordID != id {
		t.Errorf("dead letter read back as %+v, %v; want the one stored", got, err)
	}
	if got := w.Checkpoint(t, "/data/CaseChangeEvent"); got != nil {
		t.Errorf("checkpoint of a new world %v, want none", got)
	}
	if w.CMHas("Case", id) || len(w.Comments()) != 0 {
		t.Error("a new world's CM source holds comments")
	}
}

// post sends a body to the world's CM through the gate and returns the
// status it got.
func post(t *testing.T, w *simworld.World, body string) int {
	t.Helper()
	url := w.CMURL + "/api/v1/sources/" + w.Project + "/" + w.Source + "/sync"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestTheGateRefusesMarkedRequestsUntilHealedAndPassesTheRest(t *testing.T) {
	w := simworld.New(t, simworld.Options{Seed: 3})
	w.Gate.Fail("FAIL-ME")
	w.Gate.Reject("REJECT-ME")
	if got := post(t, w, `{"comments":[{"id":"FAIL-ME"}]}`); got != http.StatusServiceUnavailable {
		t.Errorf("failing marker answered %d, want 503", got)
	}
	if got := post(t, w, `{"comments":[{"id":"REJECT-ME"}]}`); got != http.StatusUnprocessableEntity {
		t.Errorf("rejecting marker answered %d, want 422", got)
	}
	if n := w.Gate.Passed(); n != 0 {
		t.Errorf("%d requests passed, want none while every one was marked", n)
	}
	w.Gate.Heal()
	if got := post(t, w, `{"comments":[{"id":"REJECT-ME"}]}`); got == http.StatusUnprocessableEntity || got == http.StatusServiceUnavailable {
		t.Errorf("after Heal the marked request answered %d, want CM's own answer", got)
	}
	if n := w.Gate.Passed(); n != 1 {
		t.Errorf("%d requests passed after Heal, want 1", n)
	}
}

func TestARedisWorldDeletesItsKeysAtCleanup(t *testing.T) {
	var prefix string
	t.Run("world", func(t *testing.T) {
		w := simworld.New(t, simworld.Options{Seed: 3, Store: simworld.Redis})
		if _, ok := w.Store.(*replay.RedisStore); !ok {
			t.Fatalf("store is %T, want Redis", w.Store)
		}
		if _, err := w.Store.AddDeadLetter(t.Context(), w.Org, replay.DeadLetter{Topic: "/data/CaseChangeEvent", Object: "Case", RecordID: "500000000000001AAA", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		keys, err := w.Redis.Keys(t.Context(), w.KeyPrefix+"*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("keys under the world's prefix: %v, %v; want the dead letter's", keys, err)
		}
		prefix = w.KeyPrefix
	})
	_, other, _ := simworld.NewRedisStore(t)
	if keys, err := other.Keys(t.Context(), prefix+"*").Result(); err != nil || len(keys) != 0 {
		t.Errorf("keys left under %s after cleanup: %v, %v", prefix, keys, err)
	}
}
