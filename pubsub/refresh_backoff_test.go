package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// failingRefresh is a session the server rejects whose refresh never helps:
// either the refresh itself fails, or it yields another rejected token.
type failingRefresh struct {
	orgID     string
	refresh   func(attempt int) (salesforce.Session, error)
	tooMany   int    // stop the test's subscription after this many refreshes
	stop      func() // so a tight-loop regression fails instead of hanging
	mu        sync.Mutex
	refreshAt []time.Time
}

func (c *failingRefresh) Current(context.Context) (salesforce.Session, error) {
	return salesforce.Session{AccessToken: "00D000000000001!rejected", InstanceURL: sfsim.DefaultInstanceURL, TenantID: c.orgID}, nil
}

func (c *failingRefresh) Refresh(context.Context, salesforce.Session) (salesforce.Session, error) {
	c.mu.Lock()
	c.refreshAt = append(c.refreshAt, time.Now())
	n := len(c.refreshAt)
	c.mu.Unlock()
	if n >= c.tooMany {
		c.stop()
	}
	return c.refresh(n)
}

// A session that keeps being rejected is refreshed again after each
// rejection, but with the reconnect backoff between the attempts: the waits
// grow from BackoffInitial towards BackoffMax, never a tight loop. It runs
// in fake time, so two minutes of backoff take milliseconds.
func TestRepeatedRefreshFailuresBackOff(t *testing.T) {
	refreshes := map[string]func(int) (salesforce.Session, error){
		"the refresh fails": func(int) (salesforce.Session, error) {
			return salesforce.Session{}, errors.New("the token endpoint answered 503")
		},
		"the refreshed token is rejected too": func(n int) (salesforce.Session, error) {
			return salesforce.Session{AccessToken: fmt.Sprintf("00D000000000001!rejected%d", n), InstanceURL: sfsim.DefaultInstanceURL}, nil
		},
	}
	for name, refresh := range refreshes {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const initial, maxWait, window = 500 * time.Millisecond, 30 * time.Second, 2 * time.Minute
				o := startObservedSim(t, sfsim.Config{Seed: 37}, time.Minute)
				ctx, stop := context.WithCancel(t.Context())
				creds := &failingRefresh{orgID: o.org.ID(), refresh: refresh, tooMany: 50, stop: stop}
				c := o.client(t, creds, func(cfg *pubsub.Config) { cfg.BackoffInitial, cfg.BackoffMax = initial, maxWait })
				start := time.Now()
				sub := c.Subscribe(ctx, "/data/CaseChangeEvent", pubsub.Start{})
				time.Sleep(window)
				sub.Stop()
				if err := sub.Err(); err != nil {
					t.Fatalf("a refresh that may succeed later ended the subscription: %v", err)
				}

				creds.mu.Lock()
				at := creds.refreshAt
				creds.mu.Unlock()
				// Waits with ±50% jitter: at least 0.25+0.5+1+2+4+8+15 s
				// pass before the 8th refresh, at most 0.75+1.5+3+6+12+24 s
				// before the 7th; a tight loop would hit the 50 cap.
				if len(at) < 5 || len(at) > 15 {
					t.Fatalf("%d refreshes in %v of rejections, want between 5 and 15", len(at), window)
				}
				if at[0].Sub(start) >= initial/2 {
					t.Fatalf("the first refresh came %v after the first rejection, want at once", at[0].Sub(start))
				}
				for i := 1; i < len(at); i++ {
					waited := at[i].Sub(at[i-1])
					step := min(initial<<(i-1), maxWait)
					if waited < step/2 || waited > step*3/2 {
						t.Fatalf("wait %d before refresh %d was %v, want %v ±50%% (all: %v)", i, i+1, waited, step, gaps(at))
					}
				}
				if st := sub.Stats(); st.Reconnects < int64(len(at))-1 {
					t.Fatalf("%d reconnects for %d refreshes", st.Reconnects, len(at))
				}
			})
		})
	}
}

func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]))
	}
	return out
}
