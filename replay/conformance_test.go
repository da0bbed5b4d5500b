package replay_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/replay/replaytest"
)

func TestRedisStoreConforms(t *testing.T) {
	t.Parallel()
	replaytest.Run(t, func(t *testing.T) replay.Store {
		store, _ := newRedisStore(t)
		return store
	})
}

func TestFileStoreConforms(t *testing.T) {
	t.Parallel()
	replaytest.Run(t, func(t *testing.T) replay.Store { return newFileStore(t) })
}
