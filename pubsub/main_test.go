package pubsub

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine outlives them:
// every subscription, stream attempt and connection must be waited for.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
