//go:build !failpoints

package main

import (
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// withRunFailpoints returns store as it is: failpoints exist only in
// binaries built with -tags failpoints (see run_failpoint.go).
func withRunFailpoints(store replay.Store) replay.Store { return store }

// withRESTFailpoint returns creds as they are (see run_failpoint.go).
func withRESTFailpoint(creds salesforce.SessionSource) salesforce.SessionSource { return creds }
