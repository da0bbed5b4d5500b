package replay_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

func TestRedisStorePurgesAScope(t *testing.T) {
	t.Parallel()
	replaytest.RunPurge(t, func(t *testing.T) replay.Store {
		store, _ := newRedisStore(t)
		return store
	})
}

func TestFileStorePurgesAScope(t *testing.T) {
	t.Parallel()
	replaytest.RunPurge(t, func(t *testing.T) replay.Store { return newFileStore(t) })
}
