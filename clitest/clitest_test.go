package clitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"os"
)

// The keys a test writes under its prefix are gone once it ended, and
// another test's prefix is another.
func TestARedisKeyPrefixIsATestsOwnAndItsKeysAreDeletedAtCleanup(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: simworld.RedisAddr()})
	defer client.Close()
	var first, second string
	t.Run("writes", func(t *testing.T) {
		first, second = clitest.RedisKeyPrefix(t), clitest.RedisKeyPrefix(t)
		if first == second {
			t.Fatalf("two prefixes are both %q", first)
		}
		if err := client.Set(t.Context(), first+"k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if n, err := client.Exists(context.Background(), first+"k").Result(); err != nil || n != 0 {
		t.Fatalf("the key under %q is still there after its test (exists %d, %v)", first, n, err)
	}
}

// The README is found from the package's folder, and a file written
// reads back.
func TestTheReadmeAndAWrittenFileAreFound(t *testing.T) {
	if !strings.Contains(clitest.Readme(t), "make test") {
		t.Fatal("the README found does not describe make test")
	}
	path := clitest.WriteFile(t, "a.yaml", "x: 1\n")
	if got, err := os.ReadFile(path); err != nil || string(got) != "x: 1\n" {
		t.Fatalf("read back %q (%v)", got, err)
	}
}
