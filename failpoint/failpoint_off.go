//go:build !failpoints

package failpoint

import (
	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Store returns store as it is: failpoints exist only in binaries built
// with -tags failpoints (see failpoint_on.go).
func Store(store replay.Store) replay.Store { return store }

// RESTCredentials returns creds as they are (see failpoint_on.go).
func RESTCredentials(creds salesforce.SessionSource) salesforce.SessionSource { return creds }

// BackfillStore returns store as it is (see failpoint_on.go).
func BackfillStore(store backfill.Store) backfill.Store { return store }
