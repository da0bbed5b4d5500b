package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/status"
)

// ReadStatus is one integration's topics as `sfcdc status` shows a
// single integration's (`sfcdc status --integration NAME`): the status,
// checkpoint and dead-letter counts its runs keep in its own scope of the
// deployment's store, for the topics its registry record configures. It
// only reads; an unknown name is registry.ErrUnknown, saying where the
// registered names are listed. The org is the record's tenant ID, else the
// one its runs stored when they connected (asked of Salesforce only when
// neither is known, as engine.StoredOrg does).
func ReadStatus(ctx context.Context, reg *registry.Registry, store replay.Store, name string, policy health.Policy, now time.Time) (status.Report, error) {
	in, err := reg.Get(ctx, name)
	if err != nil {
		return status.Report{}, err
	}
	return statusOf(ctx, in, store, policy, now)
}

// statusOf is ReadStatus of a record already read.
func statusOf(ctx context.Context, in registry.Integration, store replay.Store, policy health.Policy, now time.Time) (status.Report, error) {
	name := in.Name()
	topics, err := engine.Topics(in.Spec)
	if err != nil {
		return status.Report{}, fmt.Errorf("integration %s: %w", name, err)
	}
	scoped := replay.NewScoped(store, name)
	org, err := engine.StoredOrg(ctx, in.Spec.Salesforce, scoped)
	if err != nil {
		return status.Report{}, fmt.Errorf("integration %s: %w", name, err)
	}
	return status.Read(ctx, scoped, org, topics, policy, now)
}
