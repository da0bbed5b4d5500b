//go:build !failpoints

package main

import "github.com/sfcdc/sfcdc/backfill"

// withFailpoints returns store as it is: failpoints exist only in binaries
// built with -tags failpoints (see backfill_failpoint.go).
func withFailpoints(store backfill.Store) backfill.Store { return store }
