package replay_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

func TestRedisStoreDeletesCheckpoints(t *testing.T) {
	t.Parallel()
	replaytest.RunCheckpointDelete(t, func(t *testing.T) replay.Store {
		store, _ := newRedisStore(t)
		return store
	})
}

func TestFileStoreDeletesCheckpoints(t *testing.T) {
	t.Parallel()
	replaytest.RunCheckpointDelete(t, func(t *testing.T) replay.Store { return newFileStore(t) })
}
