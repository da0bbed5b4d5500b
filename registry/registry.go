package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
)

// Errors a caller branches on.
var (
	// ErrUnknown: no integration has that name.
	ErrUnknown = errors.New("no such integration")
	// ErrCorrupt: a stored record cannot be decoded (a foreign writer or a
	// damaged store); the other integrations are not affected.
	ErrCorrupt = errors.New("corrupt integration record")
	// ErrInvalid: a spec or an argument was refused; the message names every
	// problem.
	ErrInvalid = errors.New("invalid integration")
)

// casAttempts bounds the read-modify-write loop of one change when other
// writers keep winning; each conflict means another change landed.
const casAttempts = 8

// Registry is the deployment's set of integrations in the store.
type Registry struct {
	store replay.RegistryStore
	keys  *sealed.Keyring
	now   func() time.Time
}

// New returns the registry in store, sealing and opening secrets with keys.
func New(store replay.RegistryStore, keys *sealed.Keyring) *Registry {
	return &Registry{store: store, keys: keys, now: time.Now}
}

// Action is what Apply did to one integration.
type Action string

// Apply's actions.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
)

// Change is what Apply did to one integration: the dotted keys whose value
// changed (a secret is named, its values never shown) and the version now.
type Change struct {
	Name    string
	Action  Action
	Keys    []string
	Version int64
}

// Apply creates or updates every spec. Each must have a name and validate;
// when one does not, nothing is written and the error names every problem
// of every spec. Applying the same spec again changes nothing. A new
// integration starts enabled; an update keeps the enabled state.
func (r *Registry) Apply(ctx context.Context, specs []integration.Spec) ([]Change, error) {
	if err := checkSpecs(specs); err != nil {
		return nil, err
	}
	changes := make([]Change, 0, len(specs))
	for _, spec := range specs {
		c, err := r.apply(ctx, spec)
		if err != nil {
			return changes, err
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// checkSpecs validates a batch: names present, unique, each spec valid.
func checkSpecs(specs []integration.Spec) error {
	if len(specs) == 0 {
		return fmt.Errorf("%w: nothing to apply: give a file with at least one integration", ErrInvalid)
	}
	var problems []string
	seen := map[string]bool{}
	for n, spec := range specs {
		label := fmt.Sprintf("integration %d", n+1)
		if spec.Name == "" {
			problems = append(problems, label+": name: missing: every integration in the registry needs name: <project>/<name>")
			continue
		}
		label = spec.Name
		if seen[spec.Name] {
			problems = append(problems, label+": appears twice in what is applied: keep one")
		}
		seen[spec.Name] = true
		if err := spec.Validate(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: nothing was applied:\n%s", ErrInvalid, strings.Join(problems, "\n"))
	}
	return nil
}

func (r *Registry) apply(ctx context.Context, spec integration.Spec) (Change, error) {
	c := Change{Name: spec.Name}
	version, err := r.change(ctx, spec.Name, func(cur *Integration) (*Integration, error) {
		if cur == nil {
			c.Action = Created
			now := r.now().UTC()
			return &Integration{Spec: spec, Enabled: true, Created: now}, nil
		}
		c.Keys = diff(cur.Spec, spec)
		if len(c.Keys) == 0 {
			c.Action = Unchanged
			c.Version = cur.Version
			return nil, nil
		}
		c.Action = Updated
		next := *cur
		next.Spec = spec
		return &next, nil
	})
	if err != nil {
		return Change{}, err
	}
	if c.Action != Unchanged {
		c.Version = version
	}
	return c, nil
}

// change is one compare-and-swap edit of the record name: edit gets the
// current integration (nil when there is none) and returns the next one,
// or nil to write nothing (or an error). It runs again when another writer
// changed the record in between, up to casAttempts times.
func (r *Registry) change(ctx context.Context, name string, edit func(cur *Integration) (*Integration, error)) (int64, error) {
	for range casAttempts {
		cur, err := r.Get(ctx, name)
		var curp *Integration
		switch {
		case err == nil:
			curp = &cur
		case !errors.Is(err, ErrUnknown):
			return 0, err
		}
		next, err := edit(curp)
		if err != nil || next == nil {
			return 0, err
		}
		next.Spec.Name = name
		raw, err := encode(*next, r.keys)
		if err != nil {
			return 0, fmt.Errorf("store integration %s: %w", name, err)
		}
		version, err := r.store.PutIntegration(ctx, name, raw, cur.Version)
		if errors.Is(err, replay.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("store integration %s: %w", name, err)
		}
		return version, nil
	}
	return 0, fmt.Errorf("store integration %s: other writers changed it %d times in a row; try again", name, casAttempts)
}

// Get returns one integration with its secrets opened.
func (r *Registry) Get(ctx context.Context, name string) (Integration, error) {
	doc, err := r.store.Integration(ctx, name)
	if errors.Is(err, replay.ErrNotFound) {
		return Integration{}, fmt.Errorf("%w %s: `sfcdc integrations list` shows the registered ones", ErrUnknown, quote.Value(name))
	}
	if err != nil {
		return Integration{}, fmt.Errorf("read integration %s: %w", name, err)
	}
	return r.open(doc)
}

func (r *Registry) open(doc replay.IntegrationDoc) (Integration, error) {
	i, err := decode(doc.Name, doc.Doc, r.keys)
	if err != nil {
		return Integration{}, err
	}
	i.Version, i.Updated = doc.Version, doc.Updated
	return i, nil
}

// Entry is one integration of List, or why it could not be read.
type Entry struct {
	Name        string
	Integration Integration
	// Err is set when the record does not open (unknown key, damage); the
	// other entries are unaffected.
	Err error
}

// List returns every integration ordered by name. A record that cannot be
// opened is an Entry with Err, not a failure of the list.
func (r *Registry) List(ctx context.Context) ([]Entry, error) {
	docs, err := r.store.Integrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	out := make([]Entry, 0, len(docs))
	for _, d := range docs {
		i, err := r.open(d)
		out = append(out, Entry{Name: d.Name, Integration: i, Err: err})
	}
	return out, nil
}

// Version is the registry's version: it grows with every change, so a
// watcher compares it to the last one it saw before reading the list.
func (r *Registry) Version(ctx context.Context) (int64, error) {
	return r.store.RegistryVersion(ctx)
}

// Disable stops an integration everywhere until Enable, with a reason and a
// note for the operator. Disabling a disabled one keeps its first reason.
func (r *Registry) Disable(ctx context.Context, name string, reason Reason, note string) (Integration, error) {
	if !reason.Valid() {
		return Integration{}, fmt.Errorf("%w: disable reason %s: want user, quota or sync_error", ErrInvalid, quote.Value(string(reason)))
	}
	return r.setState(ctx, name, func(i *Integration) bool {
		if !i.Enabled {
			return false
		}
		i.Enabled = false
		i.Disabled = Disabled{Reason: reason, Note: note, Since: r.now().UTC()}
		return true
	})
}

// Enable runs a disabled integration again.
func (r *Registry) Enable(ctx context.Context, name string) (Integration, error) {
	return r.setState(ctx, name, func(i *Integration) bool {
		if i.Enabled {
			return false
		}
		i.Enabled, i.Disabled = true, Disabled{}
		return true
	})
}

func (r *Registry) setState(ctx context.Context, name string, set func(*Integration) bool) (Integration, error) {
	_, err := r.change(ctx, name, func(cur *Integration) (*Integration, error) {
		if cur == nil {
			return nil, fmt.Errorf("%w %s: `sfcdc integrations list` shows the registered ones", ErrUnknown, quote.Value(name))
		}
		next := *cur
		if !set(&next) {
			return nil, nil
		}
		return &next, nil
	})
	if err != nil {
		return Integration{}, err
	}
	return r.Get(ctx, name)
}

// Delete removes an integration from the registry (its sealed secrets go
// with the record) and returns what it was, so the caller can revoke its
// grant and remove its state as asked.
func (r *Registry) Delete(ctx context.Context, name string) (Integration, error) {
	for range casAttempts {
		cur, err := r.store.Integration(ctx, name)
		if errors.Is(err, replay.ErrNotFound) {
			return Integration{}, fmt.Errorf("%w %s: `sfcdc integrations list` shows the registered ones", ErrUnknown, quote.Value(name))
		}
		if err != nil {
			return Integration{}, fmt.Errorf("delete integration %s: %w", name, err)
		}
		err = r.store.DeleteIntegration(ctx, name, cur.Version)
		if errors.Is(err, replay.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return Integration{}, fmt.Errorf("delete integration %s: %w", name, err)
		}
		// An undecodable record is still deleted; what it was is then unknown.
		i, _ := r.open(cur)
		return i, nil
	}
	return Integration{}, fmt.Errorf("delete integration %s: other writers changed it %d times in a row; try again", name, casAttempts)
}

// RotateKey reseals every integration's secrets with the keyring's primary
// key, so the older keys can be removed from every instance afterwards. It
// returns how many records were rewritten; a record that does not open is
// reported in the error and the others are still rotated.
func (r *Registry) RotateKey(ctx context.Context) (int, error) {
	entries, err := r.List(ctx)
	if err != nil {
		return 0, err
	}
	rewritten := 0
	var failed []string
	for _, e := range entries {
		if e.Err != nil {
			failed = append(failed, e.Err.Error())
			continue
		}
		n, err := r.reseal(ctx, e.Name)
		if err != nil {
			failed = append(failed, err.Error())
		}
		rewritten += n
	}
	if len(failed) > 0 {
		return rewritten, fmt.Errorf("rotate key: %d of %d integrations not resealed:\n%s", len(failed), len(entries), strings.Join(failed, "\n"))
	}
	return rewritten, nil
}

// reseal rewrites one record when any of its secrets is sealed by an older
// key; the rewrite seals everything with the primary key.
func (r *Registry) reseal(ctx context.Context, name string) (int, error) {
	doc, err := r.store.Integration(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("reseal %s: %w", name, err)
	}
	if !sealedByOlderKey(doc.Doc, r.keys.PrimaryID()) {
		return 0, nil
	}
	_, err = r.change(ctx, name, func(cur *Integration) (*Integration, error) {
		if cur == nil {
			return nil, nil
		}
		next := *cur
		return &next, nil
	})
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// Plan says what Apply would do to each spec, writing nothing (`apply
// --dry-run`): the same checks, and the same changes unless another
// writer changes the registry in between.
func (r *Registry) Plan(ctx context.Context, specs []integration.Spec) ([]Change, error) {
	if err := checkSpecs(specs); err != nil {
		return nil, err
	}
	changes := make([]Change, 0, len(specs))
	for _, spec := range specs {
		cur, err := r.Get(ctx, spec.Name)
		switch {
		case errors.Is(err, ErrUnknown):
			changes = append(changes, Change{Name: spec.Name, Action: Created})
			continue
		case err != nil:
			return changes, err
		}
		c := Change{Name: spec.Name, Action: Unchanged, Version: cur.Version, Keys: diff(cur.Spec, spec)}
		if len(c.Keys) > 0 {
			c.Action = Updated
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// Masked is spec with every secret the registry seals replaced by
// MaskedSecret (an empty one stays empty), for showing a spec.
func Masked(spec integration.Spec) integration.Spec {
	for _, f := range secretFields {
		if f.get(&spec) != "" {
			f.set(&spec, MaskedSecret)
		}
	}
	return spec
}

// MaskedSecret stands for a secret in a shown spec.
const MaskedSecret = "(sealed)"
