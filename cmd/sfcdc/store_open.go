package main

import (
	"context"

	"github.com/sfcdc/sfcdc/liblog"
	"github.com/sfcdc/sfcdc/replay"
)

// openStore opens the configured store (replay.OpenConfigured: a failure
// names the key, the address and what to check); the Redis client's own
// log lines go to slog at debug (see liblog.RedisToSlog).
func openStore(ctx context.Context, cfg replay.Config) (replay.Store, error) {
	liblog.RedisToSlog()
	return replay.OpenConfigured(ctx, cfg)
}
