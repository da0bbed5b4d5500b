package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/redact"
)

// backfillDeps is a ready backfill and the connections it uses.
type backfillDeps struct {
	*deps
	backfill *backfill.Backfill
}

// openBackfill connects what the configuration describes (openDeps) and
// builds the backfill over it.
func openBackfill(ctx context.Context, conf fileConfig, log *slog.Logger, progress func(backfill.Progress)) (*backfillDeps, error) {
	d, err := openDeps(ctx, conf, log)
	if err != nil {
		return nil, err
	}
	b, err := d.engine.Backfill(ctx, progress)
	if err != nil {
		d.close()
		return nil, asUsage(err)
	}
	return &backfillDeps{deps: d, backfill: b}, nil
}

// backfillLogger writes warnings (retries, dead letters), or with
// verbose every REST call too, as text to w, through redact's handler
// like every command's logger: tokens are redacted types and never passed
// to the logger, and a library's error quoting one is cleaned.
func backfillLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return redact.TextLogger(w, level)
}
