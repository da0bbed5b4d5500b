package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// deps are the connections every long-running command builds from the
// configuration file, and what to release after it.
type deps struct {
	org    string // the Salesforce org ID the state is kept under
	creds  pubsub.Credentials
	sf     *salesforce.Client
	mapper *mapper.Mapper
	store  replay.Store
}

func (d *deps) close() {
	d.sf.Close()
	_ = d.store.Close()
}

// openDeps connects what the configuration describes: the Salesforce
// session (whose org names the stored state), the REST client, the
// mapping and the store.
func openDeps(ctx context.Context, conf fileConfig, log *slog.Logger) (*deps, error) {
	creds := conf.Salesforce.credentials()
	sess, err := creds.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to Salesforce: %w", err)
	}
	sf, err := salesforce.NewClient(salesforce.Config{CAFile: conf.Salesforce.CAFile, APIVersion: conf.Salesforce.Auth.APIVersion, Logger: log}, withRESTFailpoint(creds))
	if err != nil {
		return nil, usageError{err}
	}
	m, err := mapper.New(mapper.Config{Objects: conf.Objects})
	if err != nil {
		sf.Close()
		return nil, usageError{err}
	}
	store, err := openStore(ctx, conf.Store)
	if err != nil {
		sf.Close()
		return nil, err
	}
	rememberOrg(ctx, store, sess.TenantID, log)
	// Failpoint builds wrap the store and the REST credentials for the fault
	// suite's crash points; other builds use them as they are.
	return &deps{org: sess.TenantID, creds: creds, sf: sf, mapper: m, store: withRunFailpoints(store)}, nil
}
