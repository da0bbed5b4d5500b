package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// backfillDeps is a ready backfill and what to release after it.
type backfillDeps struct {
	backfill *backfill.Backfill
	sf       *salesforce.Client
	store    replay.Store
}

func (d *backfillDeps) close() {
	d.sf.Close()
	_ = d.store.Close()
}

// openBackfill connects what the configuration describes: the Salesforce
// session (whose org names the stored state), the REST client, the store
// and the mapping.
func openBackfill(ctx context.Context, conf fileConfig, log *slog.Logger, progress func(backfill.Progress)) (*backfillDeps, error) {
	creds := conf.Salesforce.credentials()
	sess, err := creds.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to Salesforce: %w", err)
	}
	sf, err := salesforce.NewClient(salesforce.Config{CAFile: conf.Salesforce.CAFile, APIVersion: conf.Salesforce.Auth.APIVersion, Logger: log}, creds)
	if err != nil {
		return nil, usageError{err}
	}
	m, err := mapper.New(mapper.Config{Objects: conf.Objects})
	if err != nil {
		sf.Close()
		return nil, usageError{err}
	}
	store, err := replay.Open(ctx, conf.Store)
	if err != nil {
		sf.Close()
		return nil, err
	}
	b, err := backfill.New(conf.Backfill, backfill.Options{
		Salesforce: sf, Mapper: m, Store: withFailpoints(store), Org: sess.TenantID, Upload: conf.CommsMining,
		Progress: progress, Logger: log,
	})
	if err != nil {
		sf.Close()
		_ = store.Close()
		return nil, usageError{err}
	}
	return &backfillDeps{backfill: b, sf: sf, store: store}, nil
}

// backfillLogger writes warnings (retries, dead letters), or with
// verbose every REST call too, as text to w. Nothing logged carries a
// secret: tokens are redacted types and never passed to the logger.
func backfillLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
