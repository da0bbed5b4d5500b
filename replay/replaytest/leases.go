package replaytest

import (
	"errors"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

func runLeases(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a lease goes to one holder and the other learns who has it", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		if a.Token == 0 || a.Holder != holderA || a.Org != org || a.Topic != topic || a.TTL != longTTL {
			t.Fatalf("lease = %+v", a)
		}
		if a.Expired(time.Now()) {
			t.Errorf("a fresh lease with TTL %s is already expired locally", longTTL)
		}
		_, err := s.AcquireLease(t.Context(), org, topic, holderB, longTTL)
		var held *replay.LeaseHeldError
		if !errors.As(err, &held) || !errors.Is(err, replay.ErrLeaseHeld) {
			t.Fatalf("second holder: got %v, want a LeaseHeldError", err)
		}
		if held.Holder != holderA || held.Remaining <= 0 || held.Remaining > longTTL {
			t.Errorf("LeaseHeldError = %+v, want holder %s with time left", held, holderA)
		}
	})

	t.Run("acquiring again as the same holder returns the same token", func(t *testing.T) {
		s := open(t)
		first := mustAcquire(t, s, topic, holderA, longTTL)
		again := mustAcquire(t, s, topic, holderA, longTTL)
		if again.Token != first.Token {
			t.Errorf("token %d, then %d", first.Token, again.Token)
		}
	})

	t.Run("leases of different topics are independent", func(t *testing.T) {
		s := open(t)
		mustAcquire(t, s, topic, holderA, longTTL)
		mustAcquire(t, s, topic2, holderB, longTTL)
	})

	t.Run("a released lease can be taken at once with a greater token", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		noErr(t, "ReleaseLease", s.ReleaseLease(t.Context(), a))
		b := mustAcquire(t, s, topic, holderB, longTTL)
		if b.Token <= a.Token {
			t.Errorf("token after release %d, want more than %d", b.Token, a.Token)
		}
		noErr(t, "ReleaseLease", s.ReleaseLease(t.Context(), b))
		a2 := mustAcquire(t, s, topic, holderA, longTTL)
		if a2.Token <= b.Token {
			t.Errorf("token %d, want more than %d", a2.Token, b.Token)
		}
	})

	t.Run("the holder renews its lease and a stale token cannot", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		renewed, err := s.RenewLease(t.Context(), a)
		noErr(t, "RenewLease", err)
		if renewed.Token != a.Token || renewed.Expires.Before(a.Expires) {
			t.Errorf("renewed = %+v, want token %d and a later deadline than %v", renewed, a.Token, a.Expires)
		}
		stale := a
		stale.Token++
		_, err = s.RenewLease(t.Context(), stale)
		wantErr(t, "RenewLease with another token", err, replay.ErrFenced)
		impostor := a
		impostor.Holder = holderB
		_, err = s.RenewLease(t.Context(), impostor)
		wantErr(t, "RenewLease by another holder", err, replay.ErrFenced)
	})

	t.Run("release by a non-holder is fenced and leaves the lease in place", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		impostor := a
		impostor.Holder = holderB
		wantErr(t, "ReleaseLease by another holder", s.ReleaseLease(t.Context(), impostor), replay.ErrFenced)
		_, err := s.AcquireLease(t.Context(), org, topic, holderB, longTTL)
		wantErr(t, "AcquireLease after the refused release", err, replay.ErrLeaseHeld)
		noErr(t, "ReleaseLease by the holder", s.ReleaseLease(t.Context(), a))
		noErr(t, "ReleaseLease twice", s.ReleaseLease(t.Context(), a))
	})

	t.Run("an expired lease is taken over with a greater token", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, shortTTL)
		b := acquireWhenFree(t, s, topic, holderB, longTTL)
		if b.Token <= a.Token {
			t.Errorf("takeover token %d, want more than %d", b.Token, a.Token)
		}
		_, err := s.RenewLease(t.Context(), a)
		wantErr(t, "RenewLease by the expired holder", err, replay.ErrFenced)
		wantErr(t, "ReleaseLease by the expired holder", s.ReleaseLease(t.Context(), a), replay.ErrFenced)
		_, err = s.AcquireLease(t.Context(), org, topic, holderA, longTTL)
		wantErr(t, "AcquireLease by the expired holder", err, replay.ErrLeaseHeld)
	})

	t.Run("invalid lease arguments are refused", func(t *testing.T) {
		s := open(t)
		cases := []struct {
			org, topic, holder string
			ttl                time.Duration
		}{
			{"", topic, holderA, longTTL},
			{"a{b}", topic, holderA, longTTL},
			{org, "", holderA, longTTL},
			{org, topic, "", longTTL},
			{org, topic, "bad\nholder", longTTL},
			{org, topic, holderA, 0},
			{org, topic, holderA, -time.Second},
		}
		for _, c := range cases {
			_, err := s.AcquireLease(t.Context(), c.org, c.topic, c.holder, c.ttl)
			wantErr(t, "AcquireLease"+" "+c.org+" "+c.topic+" "+c.holder+" "+c.ttl.String(), err, replay.ErrInvalid)
		}
	})
}

func runFencing(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a stale holder's write is rejected after another holder took over", func(t *testing.T) {
		s := open(t)
		a := acquireAndWrite(t, s, holderA, shortTTL, replay.Checkpoint{ReplayID: []byte("a1")})
		b := acquireWhenFree(t, s, topic, holderB, longTTL)
		noErr(t, "SaveCheckpoint by B", s.SaveCheckpoint(t.Context(), b, replay.Checkpoint{ReplayID: []byte("b1")}))
		err := s.SaveCheckpoint(t.Context(), a, replay.Checkpoint{ReplayID: []byte("a2")})
		wantErr(t, "SaveCheckpoint by stale A", err, replay.ErrFenced)
		got, err := s.Checkpoint(t.Context(), org, topic)
		noErr(t, "Checkpoint", err)
		if string(got.ReplayID) != "b1" || got.Token != b.Token {
			t.Errorf("checkpoint %q with token %d, want b1 with %d", got.ReplayID, got.Token, b.Token)
		}
	})

	t.Run("a holder whose lease expired cannot write even if no one took over", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, shortTTL)
		poll(t, "the write to be fenced", func() bool {
			err := s.SaveCheckpoint(t.Context(), a, replay.Checkpoint{ReplayID: []byte("a")})
			if err != nil && !errors.Is(err, replay.ErrFenced) {
				t.Fatalf("SaveCheckpoint: %v", err)
			}
			return err != nil
		})
	})

	t.Run("a write with a made-up or released lease is fenced", func(t *testing.T) {
		s := open(t)
		madeUp := replay.Lease{Org: org, Topic: topic, Holder: holderA, Token: 1, TTL: longTTL}
		wantErr(t, "SaveCheckpoint without any lease", s.SaveCheckpoint(t.Context(), madeUp, replay.Checkpoint{ReplayID: []byte{1}}), replay.ErrFenced)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		noErr(t, "ReleaseLease", s.ReleaseLease(t.Context(), a))
		wantErr(t, "SaveCheckpoint after release", s.SaveCheckpoint(t.Context(), a, replay.Checkpoint{ReplayID: []byte{1}}), replay.ErrFenced)
		_, err := s.Checkpoint(t.Context(), org, topic)
		wantErr(t, "Checkpoint", err, replay.ErrNotFound)
	})

	t.Run("a lease of one topic cannot write another topic's checkpoint", func(t *testing.T) {
		s := open(t)
		a := mustAcquire(t, s, topic, holderA, longTTL)
		mustAcquire(t, s, topic2, holderB, longTTL)
		other := a
		other.Topic = topic2
		wantErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), other, replay.Checkpoint{ReplayID: []byte{1}}), replay.ErrFenced)
	})

	t.Run("tokens keep growing past the token of the stored checkpoint", func(t *testing.T) {
		s := open(t)
		var last uint64
		for range 3 {
			l := mustAcquire(t, s, topic, holderA, longTTL)
			if l.Token <= last {
				t.Fatalf("token %d after %d", l.Token, last)
			}
			last = l.Token
			noErr(t, "SaveCheckpoint", s.SaveCheckpoint(t.Context(), l, replay.Checkpoint{ReplayID: []byte{byte(last)}}))
			noErr(t, "ReleaseLease", s.ReleaseLease(t.Context(), l))
		}
	})
}

// acquireAndWrite takes the topic's lease for ttl and writes cp under it.
// A short lease may lapse before its first write on a busy machine (the
// write is then rightly fenced): the lease is taken again and the write
// repeated, so the test goes on from a lease that did write.
func acquireAndWrite(t *testing.T, s replay.Store, holder string, ttl time.Duration, cp replay.Checkpoint) replay.Lease {
	t.Helper()
	for attempt := 1; ; attempt++ {
		l := mustAcquire(t, s, topic, holder, ttl)
		err := s.SaveCheckpoint(t.Context(), l, cp)
		if err == nil {
			return l
		}
		if !errors.Is(err, replay.ErrFenced) || attempt == 20 {
			t.Fatalf("SaveCheckpoint by %s under a fresh lease (attempt %d): %v", holder, attempt, err)
		}
	}
}
