package serve_test

import (
	"time"

	"github.com/sfcdc/sfcdc/retry"
)

// retryFast restarts a failed run after 20–80 ms.
func retryFast() retry.Policy {
	return retry.Policy{Initial: 20 * time.Millisecond, Max: 80 * time.Millisecond}
}
