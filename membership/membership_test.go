package membership_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/membership"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

const ttl = 300 * time.Millisecond

// sharedRedis is one store on the test Redis under a random prefix, as the
// instances of one deployment share it.
func sharedRedis(t *testing.T) replay.Store {
	t.Helper()
	store, _, _ := simworld.NewRedisStore(t)
	return store
}

// closableRedis is another store on the prefix of a sharedRedis store,
// for a test to close (the shared one's cleanup still removes the keys).
func closableRedis(t *testing.T) replay.Store {
	t.Helper()
	_, _, prefix := simworld.NewRedisStore(t)
	store, err := replay.NewRedisStore(redis.NewClient(&redis.Options{Addr: simworld.RedisAddr()}), replay.RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// running is an instance whose Run goroutine the test stops.
type running struct {
	m    *membership.Membership
	stop context.CancelFunc
	done chan struct{}
}

func start(t *testing.T, store replay.MemberStore, name string) *running {
	t.Helper()
	m, err := membership.Join(t.Context(), membership.Config{Instance: name, TTL: ttl, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{m: m, stop: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func TestInstancesSeeEachOtherAndALeavingOrDeadOneDropsOut(t *testing.T) {
	store := sharedRedis(t)
	a, b, c := start(t, store, "a"), start(t, store, "b"), start(t, store, "c")
	all := []string{"a", "b", "c"}
	for _, r := range []*running{a, b, c} {
		simworld.Eventually(t, r.m.Instance()+" to see all three", func() bool { return slices.Equal(r.m.Live(), all) })
	}
	units := units(10)
	var shares []string
	for _, r := range []*running{a, b, c} {
		shares = append(shares, r.m.Mine(units)...)
	}
	if len(shares) != len(units) {
		t.Fatalf("the three instances own %d units between them; want each of the %d once", len(shares), len(units))
	}

	// c stops gracefully: it leaves at once, and a wakes on the change.
	changed := a.m.Changed()
	c.stop()
	<-c.done
	simworld.Eventually(t, "a to see c leave", func() bool { return slices.Equal(a.m.Live(), []string{"a", "b"}) })
	select {
	case <-changed:
	default:
		t.Fatal("a's view changed but Changed was not closed")
	}

	// d joins and dies without leaving (no Run, no Leave): gone after its TTL.
	if _, err := membership.Join(t.Context(), membership.Config{Instance: "d", TTL: ttl, Store: store}); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "b to see d", func() bool { return slices.Contains(b.m.Live(), "d") })
	simworld.Eventually(t, "d's heartbeat to run out", func() bool { return slices.Equal(b.m.Live(), []string{"a", "b"}) })
}

func TestAnInstanceThatCannotStoreItsHeartbeatCountsItselfOut(t *testing.T) {
	store := closableRedis(t)
	r := start(t, store, "lonely")
	if got := r.m.Live(); !slices.Equal(got, []string{"lonely"}) {
		t.Fatalf("live %v right after joining", got)
	}
	store.Close() // the store stops answering (closing twice at cleanup is harmless)
	simworld.Eventually(t, "the instance to count itself out", func() bool { return len(r.m.Live()) == 0 })
	if mine := r.m.Mine(units(3)); len(mine) != 0 {
		t.Fatalf("an instance out of the live set still owns %v", mine)
	}
}

func TestJoinNeedsANameAndAStoreThatAnswers(t *testing.T) {
	store := sharedRedis(t)
	if _, err := membership.Join(t.Context(), membership.Config{TTL: ttl, Store: store}); err == nil {
		t.Fatal("join without a name succeeded")
	}
	closed := closableRedis(t)
	closed.Close()
	if _, err := membership.Join(t.Context(), membership.Config{Instance: "x", TTL: ttl, Store: closed}); err == nil {
		t.Fatal("join on a closed store succeeded")
	}
}
