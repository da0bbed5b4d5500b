package salesforce_test

import (
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
)

// The client reads Salesforce's time from the Date header of its answers,
// asking for the API versions when it has had none yet.
func TestServerNowFollowsTheOrgsClockNotThisHosts(t *testing.T) {
	t.Parallel()
	const behind = 10 * time.Minute
	// The org's clock runs 10 minutes behind this host's, as a real clock
	// would: a standing clock set before the setup would fall further
	// behind for as long as the setup took, which a loaded machine running
	// tests in parallel stretched past the 2 s tolerance below.
	clock := behindClock(behind)
	s := startSim(t, simOptions{clock: clock})
	c, err := salesforce.NewClient(baseConfig(s, salesforce.FlowClientCredentials, nil), clientCredentials(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now, err := c.ServerNow(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Since(now); got < behind-2*time.Second || got > behind+2*time.Second {
		t.Errorf("ServerNow is %s behind this host, want the org's %s (to the second)", got, behind)
	}
	if calls := c.Stats().RESTCalls; calls != 1 {
		t.Errorf("%d REST calls to learn the clock, want 1", calls)
	}
	if _, err := c.ServerNow(t.Context()); err != nil || c.Stats().RESTCalls != 1 {
		t.Errorf("a second ServerNow made a call (%d in all) or failed (%v): the last answer's Date is enough", c.Stats().RESTCalls, err)
	}
}

// behindClock is a clock that runs d behind this host's.
type behindClock time.Duration

func (d behindClock) Now() time.Time { return time.Now().Add(-time.Duration(d)) }
