package main

import (
	"context"
	"log/slog"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/failpoint"
	"github.com/sfcdc/sfcdc/pipeline"
	"github.com/sfcdc/sfcdc/replay"
)

// deps are what a command working on the integration opens from the
// configuration file: the store, and the engine over it connected to
// Salesforce (whose org names the stored state).
type deps struct {
	org    string
	engine *engine.Engine
	store  replay.Store
}

func (d *deps) close() {
	d.engine.Close()
	_ = d.store.Close()
}

// engineDeps lends the engine the process's store and logger. Failpoint
// builds wrap the store and the REST credentials for the fault suite's
// crash points; other builds use them as they are.
func engineDeps(conf fileConfig, store replay.Store, log *slog.Logger, incidents *pipeline.Incidents) engine.Deps {
	return engine.Deps{Store: failpoint.Store(store), Logger: log, Incidents: incidents, ConfigFile: conf.path,
		Hooks: engine.Hooks{BackfillStore: failpoint.BackfillStore, RESTCredentials: failpoint.RESTCredentials}}
}

// openDeps opens the store, builds the engine and connects it.
func openDeps(ctx context.Context, conf fileConfig, log *slog.Logger) (*deps, error) {
	store, err := openStore(ctx, conf.Store)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(conf.Spec, engineDeps(conf, store, log, nil))
	if err != nil {
		_ = store.Close()
		return nil, asUsage(err)
	}
	d := &deps{engine: eng, store: store}
	if d.org, err = eng.Connect(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}
