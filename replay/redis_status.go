package replay

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// SaveStatus implements StatusStore: one MULTI replaces every field of the
// document and lists the topic in the org's status index.
func (s *RedisStore) SaveStatus(ctx context.Context, org, topic string, st Status) error {
	if err := checkStatus(org, topic); err != nil {
		return fmt.Errorf("save status %s: %w", ref(org, topic), err)
	}
	st.UpdatedAt = now()
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.status(org, topic), statusFields(st).args()...)
		p.SAdd(ctx, s.keys.statuses(org), topic)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save status %s: %w", ref(org, topic), err)
	}
	return nil
}

// SaveStatuses implements StatusStore: every document's HSET then its
// index's SADD in one pipeline (a cluster client sends each node its
// part), each document answered by its own two replies. Not a transaction
// as SaveStatus's (a cluster refuses one across slots): Redis applies one
// connection's commands in order, so an index never names a document not
// written yet; a failure between the two leaves a document unlisted until
// its next write.
func (s *RedisStore) SaveStatuses(ctx context.Context, docs []TopicStatus) []error {
	errs := make([]error, len(docs))
	type sentDoc struct {
		i          int
		hset, sadd *redis.IntCmd
	}
	var sent []sentDoc
	stamp := now()
	ctx, cancel := s.op(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	for i, d := range docs {
		if err := checkStatus(d.Org, d.Topic); err != nil {
			errs[i] = fmt.Errorf("save status %s: %w", ref(d.Org, d.Topic), err)
			continue
		}
		st := d.Status
		st.UpdatedAt = stamp
		sent = append(sent, sentDoc{i: i,
			hset: pipe.HSet(ctx, s.keys.status(d.Org, d.Topic), statusFields(st).args()...),
			sadd: pipe.SAdd(ctx, s.keys.statuses(d.Org), d.Topic)})
	}
	if len(sent) == 0 {
		return errs
	}
	_, _ = pipe.Exec(ctx) // each command keeps its own error
	for _, d := range sent {
		if err := cmp.Or(d.hset.Err(), d.sadd.Err()); err != nil {
			errs[d.i] = fmt.Errorf("save status %s: %w", ref(docs[d.i].Org, docs[d.i].Topic), err)
		}
	}
	return errs
}

// Status implements StatusStore.
func (s *RedisStore) Status(ctx context.Context, org, topic string) (Status, error) {
	st, err := s.status(ctx, org, topic)
	if err != nil {
		return Status{}, fmt.Errorf("read status %s: %w", ref(org, topic), err)
	}
	return st, nil
}

func (s *RedisStore) status(ctx context.Context, org, topic string) (Status, error) {
	if err := checkOrgName(org, "topic", topic); err != nil {
		return Status{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	f, err := s.client.HGetAll(ctx, s.keys.status(org, topic)).Result()
	if err != nil {
		return Status{}, err
	}
	if len(f) == 0 {
		return Status{}, ErrNotFound
	}
	return statusFromFields(topic, f)
}

// Statuses implements StatusStore: the index, then the documents in one
// pipeline.
func (s *RedisStore) Statuses(ctx context.Context, org string) ([]Status, error) {
	out, err := s.statuses(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("read statuses %s: %w", orgRef(org), err)
	}
	return out, nil
}

func (s *RedisStore) statuses(ctx context.Context, org string) ([]Status, error) {
	if err := checkOrg(org); err != nil {
		return nil, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	topics, err := s.client.SMembers(ctx, s.keys.statuses(org)).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(topics)
	cmds := make([]*redis.MapStringStringCmd, len(topics))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, topic := range topics {
			cmds[i] = p.HGetAll(ctx, s.keys.status(org, topic))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(topics))
	for i, cmd := range cmds {
		if len(cmd.Val()) == 0 {
			continue // indexed but deleted by hand
		}
		st, err := statusFromFields(topics[i], cmd.Val())
		if err != nil {
			return nil, fmt.Errorf("topic %s: %w", topics[i], err)
		}
		out = append(out, st)
	}
	return out, nil
}

// SaveWatermark implements WatermarkStore.
func (s *RedisStore) SaveWatermark(ctx context.Context, org, object string, w Watermark) error {
	if err := checkOrgName(org, "object", object); err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	if err := checkWatermark(w); err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.HSet(ctx, s.keys.watermark(org, object), w.fields().args()...).Err(); err != nil {
		return fmt.Errorf("save watermark %s: %w", ref(org, object), err)
	}
	return nil
}

// Watermark implements WatermarkStore.
func (s *RedisStore) Watermark(ctx context.Context, org, object string) (Watermark, error) {
	w, err := s.watermark(ctx, org, object)
	if err != nil {
		return Watermark{}, fmt.Errorf("read watermark %s: %w", ref(org, object), err)
	}
	return w, nil
}

func (s *RedisStore) watermark(ctx context.Context, org, object string) (Watermark, error) {
	if err := checkOrgName(org, "object", object); err != nil {
		return Watermark{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	f, err := s.client.HGetAll(ctx, s.keys.watermark(org, object)).Result()
	if err != nil {
		return Watermark{}, err
	}
	if len(f) == 0 {
		return Watermark{}, ErrNotFound
	}
	return watermarkFromFields(f)
}
