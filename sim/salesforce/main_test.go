package salesforce

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine outlives them: a
// server, stream or generator the simulator starts must end with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
