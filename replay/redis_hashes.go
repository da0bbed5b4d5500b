package replay

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// hashChunk is how many comments one HMGET, HSET or HDEL carries. A batch
// of any size becomes one pipeline of such commands: one round trip, while
// no single command makes Redis block for long or buffer a huge reply.
const hashChunk = 1000

// Hashes implements HashStore with pipelined HMGETs.
func (s *RedisStore) Hashes(ctx context.Context, org string, commentIDs []string) (map[string]Hashes, error) {
	got, err := s.hashes(ctx, org, commentIDs)
	if err != nil {
		return nil, fmt.Errorf("read hashes %s: %w", orgRef(org), err)
	}
	return got, nil
}

func (s *RedisStore) hashes(ctx context.Context, org string, ids []string) (map[string]Hashes, error) {
	if err := checkCommentIDs(org, ids); err != nil {
		return nil, err
	}
	out := make(map[string]Hashes, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.keys.hashes(org)
	cmds := make([]*redis.SliceCmd, 0, chunks(len(ids)))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(ids); start += hashChunk {
			cmds = append(cmds, p.HMGet(ctx, key, ids[start:min(start+hashChunk, len(ids))]...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, cmd := range cmds {
		collectHashes(out, ids[i*hashChunk:], cmd.Val())
	}
	return out, nil
}

// collectHashes adds the decodable values of one HMGET reply to out.
func collectHashes(out map[string]Hashes, ids []string, values []any) {
	for j, v := range values {
		raw, ok := v.(string)
		if !ok {
			continue // nil: no hashes stored for this comment
		}
		if h, err := decodeHashes([]byte(raw)); err == nil {
			out[ids[j]] = h
		}
	}
}

func chunks(n int) int { return (n + hashChunk - 1) / hashChunk }

// SaveHashes implements HashStore with pipelined HSETs.
func (s *RedisStore) SaveHashes(ctx context.Context, org string, batch map[string]Hashes) error {
	if err := checkHashBatch(org, batch); err != nil {
		return fmt.Errorf("save hashes %s: %w", orgRef(org), err)
	}
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.keys.hashes(org)
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		args := make([]any, 0, 2*min(len(batch), hashChunk))
		for id, h := range batch {
			args = append(args, id, encodeHashes(h))
			if len(args) == 2*hashChunk {
				p.HSet(ctx, key, args...)
				args = make([]any, 0, cap(args))
			}
		}
		if len(args) > 0 {
			p.HSet(ctx, key, args...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save hashes %s: %w", orgRef(org), err)
	}
	return nil
}

// DeleteHashes implements HashStore with pipelined HDELs.
func (s *RedisStore) DeleteHashes(ctx context.Context, org string, commentIDs []string) error {
	if err := checkCommentIDs(org, commentIDs); err != nil {
		return fmt.Errorf("delete hashes %s: %w", orgRef(org), err)
	}
	if len(commentIDs) == 0 {
		return nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.keys.hashes(org)
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(commentIDs); start += hashChunk {
			p.HDel(ctx, key, commentIDs[start:min(start+hashChunk, len(commentIDs))]...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete hashes %s: %w", orgRef(org), err)
	}
	return nil
}
