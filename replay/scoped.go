package replay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Scoped is a view of a store in which every org-keyed item (checkpoints,
// leases, watermarks, hashes, dead letters, status) belongs to one scope,
// so two integrations reading the same Salesforce org into different CM
// sources keep separate checkpoints, leases and hashes in one store.
// Registry and membership calls pass through unscoped: they are the
// deployment's. Close does not close the underlying store, which the
// deployment shares between its scopes.
//
// The scope becomes part of the org argument ("s<16 hex digits of
// xxhash64(scope)>_<org>"), so both backends and the Redis Cluster hash tag
// work unchanged; the caller always sees its own org in what comes back
// (leases).
type Scoped struct {
	Store
	prefix string
}

// NewScoped returns the view of store for scope (e.g. an integration name).
func NewScoped(store Store, scope string) *Scoped {
	return &Scoped{Store: store, prefix: fmt.Sprintf("s%016x_", xxhash.Sum64String(scope))}
}

// ScopedOrgMax is the longest org a scoped store accepts: the scope's 18
// characters come first and the whole must fit the store's 64.
const ScopedOrgMax = maxOrgBytes - 18

var _ Store = (*Scoped)(nil)
var _ CheckpointDeleter = (*Scoped)(nil)

func (s *Scoped) org(org string) (string, error) {
	if err := CheckOrgID(org); err != nil {
		return "", invalidf("org ID: %v", err)
	}
	if len(org) > ScopedOrgMax {
		return "", invalidf("org ID of %d characters; a scoped store takes at most %d", len(org), ScopedOrgMax)
	}
	return s.prefix + org, nil
}

func (s *Scoped) lease(l Lease) Lease {
	l.Org = s.prefix + l.Org
	return l
}

func (s *Scoped) unlease(l Lease) Lease {
	l.Org = strings.TrimPrefix(l.Org, s.prefix)
	return l
}

// Close leaves the shared store open.
func (s *Scoped) Close() error { return nil }

func (s *Scoped) Checkpoint(ctx context.Context, org, topic string) (Checkpoint, error) {
	o, err := s.org(org)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	return s.Store.Checkpoint(ctx, o, topic)
}

func (s *Scoped) SaveCheckpoint(ctx context.Context, lease Lease, cp Checkpoint) error {
	return s.Store.SaveCheckpoint(ctx, s.lease(lease), cp)
}

func (s *Scoped) DeleteCheckpoint(ctx context.Context, lease Lease) error {
	d, ok := s.Store.(CheckpointDeleter)
	if !ok {
		return fmt.Errorf("delete checkpoint: the store cannot delete checkpoints")
	}
	return d.DeleteCheckpoint(ctx, s.lease(lease))
}

func (s *Scoped) AcquireLease(ctx context.Context, org, topic, holder string, ttl time.Duration) (Lease, error) {
	o, err := s.org(org)
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	l, err := s.Store.AcquireLease(ctx, o, topic, holder, ttl)
	return s.unlease(l), err
}

func (s *Scoped) RenewLease(ctx context.Context, lease Lease) (Lease, error) {
	l, err := s.Store.RenewLease(ctx, s.lease(lease))
	if err != nil {
		return Lease{}, err
	}
	return s.unlease(l), nil
}

func (s *Scoped) RenewLeases(ctx context.Context, leases []Lease) ([]Lease, []error) {
	inner := make([]Lease, len(leases))
	for i, l := range leases {
		inner[i] = s.lease(l)
	}
	renewed, errs := s.Store.RenewLeases(ctx, inner)
	for i := range renewed {
		if errs[i] == nil {
			renewed[i] = s.unlease(renewed[i])
		}
	}
	return renewed, errs
}

// rootLease is lease as the store under every Scoped layer names it, so a
// Renewer batches the leases of many scopes into one call.
func (s *Scoped) rootLease(lease Lease) (LeaseStore, Lease) {
	return rootLease(s.Store, s.lease(lease))
}

func (s *Scoped) ReleaseLease(ctx context.Context, lease Lease) error {
	return s.Store.ReleaseLease(ctx, s.lease(lease))
}

func (s *Scoped) Watermark(ctx context.Context, org, object string) (Watermark, error) {
	o, err := s.org(org)
	if err != nil {
		return Watermark{}, fmt.Errorf("read watermark: %w", err)
	}
	return s.Store.Watermark(ctx, o, object)
}

func (s *Scoped) SaveWatermark(ctx context.Context, org, object string, w Watermark) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("save watermark: %w", err)
	}
	return s.Store.SaveWatermark(ctx, o, object, w)
}

func (s *Scoped) Hashes(ctx context.Context, org string, commentIDs []string) (map[string]Hashes, error) {
	o, err := s.org(org)
	if err != nil {
		return nil, fmt.Errorf("read hashes: %w", err)
	}
	return s.Store.Hashes(ctx, o, commentIDs)
}

func (s *Scoped) SaveHashes(ctx context.Context, org string, batch map[string]Hashes) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("save hashes: %w", err)
	}
	return s.Store.SaveHashes(ctx, o, batch)
}

func (s *Scoped) DeleteHashes(ctx context.Context, org string, commentIDs []string) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("delete hashes: %w", err)
	}
	return s.Store.DeleteHashes(ctx, o, commentIDs)
}

func (s *Scoped) AddDeadLetter(ctx context.Context, org string, d DeadLetter) (string, error) {
	o, err := s.org(org)
	if err != nil {
		return "", fmt.Errorf("add dead letter: %w", err)
	}
	return s.Store.AddDeadLetter(ctx, o, d)
}

func (s *Scoped) DeadLetter(ctx context.Context, org, id string) (DeadLetter, error) {
	o, err := s.org(org)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("read dead letter: %w", err)
	}
	return s.Store.DeadLetter(ctx, o, id)
}

func (s *Scoped) ListDeadLetters(ctx context.Context, org, before string, limit int) ([]DeadLetter, error) {
	o, err := s.org(org)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return s.Store.ListDeadLetters(ctx, o, before, limit)
}

func (s *Scoped) DeleteDeadLetter(ctx context.Context, org, id string) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("delete dead letter: %w", err)
	}
	return s.Store.DeleteDeadLetter(ctx, o, id)
}

func (s *Scoped) PurgeDeadLetters(ctx context.Context, org string) (int, error) {
	o, err := s.org(org)
	if err != nil {
		return 0, fmt.Errorf("purge dead letters: %w", err)
	}
	return s.Store.PurgeDeadLetters(ctx, o)
}

func (s *Scoped) CountDeadLetters(ctx context.Context, org string) (int, error) {
	o, err := s.org(org)
	if err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return s.Store.CountDeadLetters(ctx, o)
}

func (s *Scoped) CountParkedDeadLetters(ctx context.Context, org string) (int, error) {
	o, err := s.org(org)
	if err != nil {
		return 0, fmt.Errorf("count parked dead letters: %w", err)
	}
	return s.Store.CountParkedDeadLetters(ctx, o)
}

func (s *Scoped) RecordDeadLetterRetry(ctx context.Context, org, id string, r DeadLetterRetry) (DeadLetter, error) {
	o, err := s.org(org)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("record dead letter retry: %w", err)
	}
	return s.Store.RecordDeadLetterRetry(ctx, o, id, r)
}

func (s *Scoped) SaveStatus(ctx context.Context, org, topic string, st Status) error {
	o, err := s.org(org)
	if err != nil {
		return fmt.Errorf("save status: %w", err)
	}
	return s.Store.SaveStatus(ctx, o, topic, st)
}

func (s *Scoped) SaveStatuses(ctx context.Context, docs []TopicStatus) []error {
	errs := make([]error, len(docs))
	var root []TopicStatus
	var at []int
	for i, d := range docs {
		o, err := s.org(d.Org)
		if err != nil {
			errs[i] = fmt.Errorf("save status: %w", err)
			continue
		}
		d.Org = o
		root, at = append(root, d), append(at, i)
	}
	if len(root) > 0 {
		for k, err := range s.Store.SaveStatuses(ctx, root) {
			errs[at[k]] = err
		}
	}
	return errs
}

// rootStatus is where the topic's status document of org is kept in the
// store under every view (StatusBatcher writes there).
func (s *Scoped) rootStatus(org string) (StatusStore, string, error) {
	o, err := s.org(org)
	if err != nil {
		return nil, "", fmt.Errorf("save status: %w", err)
	}
	return rootStatus(s.Store, o)
}

func (s *Scoped) Status(ctx context.Context, org, topic string) (Status, error) {
	o, err := s.org(org)
	if err != nil {
		return Status{}, fmt.Errorf("read status: %w", err)
	}
	return s.Store.Status(ctx, o, topic)
}

func (s *Scoped) Statuses(ctx context.Context, org string) ([]Status, error) {
	o, err := s.org(org)
	if err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	return s.Store.Statuses(ctx, o)
}
