package registry_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// redisStore is a store on the test Redis under a random prefix (keys
// deleted at cleanup), and a reader of every value it holds.
func redisStore(t *testing.T) (replay.Store, func() []string) {
	t.Helper()
	store, reader, prefix := simworld.NewRedisStore(t)
	values := func() []string {
		ctx := t.Context()
		keys, err := reader.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			switch reader.Type(ctx, k).Val() {
			case "string":
				out = append(out, reader.Get(ctx, k).Val())
			case "hash":
				for f, v := range reader.HGetAll(ctx, k).Val() {
					out = append(out, f, v)
				}
			}
		}
		return out
	}
	return store, values
}
