package replay_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// BenchmarkTracker measures one event's bookkeeping: Track, Done and
// Committable. "in order" finishes each event at once; "out of order"
// tracks windows of 100 and finishes them in reverse, so each window
// commits at its last Done.
func BenchmarkTracker(b *testing.B) {
	ids := make([][]byte, 1024)
	for i := range ids {
		ids[i] = rid(i)
	}
	at := time.Unix(1, 0)
	ctx := context.Background()
	b.Run("in order", func(b *testing.B) {
		tr := replay.NewTracker(1000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			seq, _ := tr.Track(ctx, ids[i&1023], at)
			tr.Done(seq)
			tr.Committable()
		}
	})
	b.Run("out of order", func(b *testing.B) {
		tr := replay.NewTracker(1000)
		seqs := make([]replay.Seq, 100)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % 100
			seqs[j], _ = tr.Track(ctx, ids[i&1023], at)
			if j == 99 {
				for k := 99; k >= 0; k-- {
					tr.Done(seqs[k])
					tr.Committable()
				}
			}
		}
	})
}

func benchmarkSaveCheckpoint(b *testing.B, store replay.Store) {
	lease, err := store.AcquireLease(b.Context(), "00Dorg", "/data/T", "bench", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	id := []byte("0123456789abcdef") // 16 bytes, like the measured replay IDs
	b.ReportAllocs()
	for b.Loop() {
		if err := store.SaveCheckpoint(b.Context(), lease, replay.Checkpoint{ReplayID: id, CommitTime: time.Unix(1, 0)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkSaveCheckpoint measures sequential fenced checkpoint writes: one
// Lua compare-and-set round trip on Redis, one fsynced transaction on bbolt.
func BenchmarkSaveCheckpoint(b *testing.B) {
	b.Run("redis shared no persistence", func(b *testing.B) {
		store, _ := newRedisStore(b)
		benchmarkSaveCheckpoint(b, store)
	})
	b.Run("redis appendfsync always", func(b *testing.B) {
		r := startPrivateRedis(b, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
		store, err := replay.Open(b.Context(), replay.Config{RedisURL: "redis://" + r.addr})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		benchmarkSaveCheckpoint(b, store)
	})
	b.Run("file", func(b *testing.B) { benchmarkSaveCheckpoint(b, newFileStore(b)) })
}

// BenchmarkHashes measures batches of 1000 comments; the hashes/s metric
// counts comments, not batches.
func BenchmarkHashes(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) replay.Store
	}{
		{"redis", func(b *testing.B) replay.Store { s, _ := newRedisStore(b); return s }},
		{"file", func(b *testing.B) replay.Store { return newFileStore(b) }},
	}
	const batchSize = 1000
	batch := make(map[string]replay.Hashes, batchSize)
	ids := make([]string, 0, batchSize)
	for i := range batchSize {
		id := fmt.Sprintf("0MH5e00000%08d", i)
		batch[id] = replay.Hashes{Content: "0123456789abcdef", Metadata: "fedcba9876543210"}
		ids = append(ids, id)
	}
	for _, s := range stores {
		b.Run(s.name+"/save", func(b *testing.B) {
			store := s.open(b)
			b.ReportAllocs()
			for b.Loop() {
				if err := store.SaveHashes(b.Context(), "00Dorg", batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "hashes/s")
		})
		b.Run(s.name+"/get", func(b *testing.B) {
			store := s.open(b)
			if err := store.SaveHashes(b.Context(), "00Dorg", batch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				got, err := store.Hashes(b.Context(), "00Dorg", ids)
				if err != nil || len(got) != batchSize {
					b.Fatal(err, len(got))
				}
			}
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "hashes/s")
		})
	}
}
