package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// DefaultHolder names this process in the leases when run.holder is not
// set: hostname, PID and a random suffix, unique per call, so a restarted
// process never mistakes the lease of its predecessor for its own.
func DefaultHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
