package pubsub

import eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"

// credits is the flow control of one stream: how many events the server
// owes (pending) and when to ask for more. It never lets pending exceed the
// server's cap of 100 (so the server never clamps and the count stays
// exact), and it asks only while the caller's in-flight events and bytes are
// under their caps: a slow consumer stops the fetching instead of growing
// memory.
type credits struct {
	cfg     Config
	sub     *Subscription
	pending int
}

// initial is the first request's num_requested.
func (c *credits) initial() int {
	c.pending = c.room()
	return c.pending
}

// room is how many more events may be requested now.
func (c *credits) room() int {
	inFlight, bytes := c.sub.inFlightNow()
	if bytes >= c.cfg.MaxInFlightBytes {
		return 0
	}
	return max(0, min(maxOutstanding-c.pending, c.cfg.MaxInFlightEvents-inFlight-c.pending))
}

func (c *credits) received(n int) {
	c.pending = max(0, c.pending-n)
	c.sub.outstanding.Store(int64(c.pending))
}

// topUp asks for more events once pending fell to the low-water mark.
func (c *credits) topUp(stream eventbusv1.PubSub_SubscribeClient) error {
	if c.pending > c.cfg.LowWater || !c.sub.mayFetch() {
		return nil
	}
	n := c.room()
	if n <= 0 {
		return nil
	}
	if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: int32(n)}); err != nil {
		return err
	}
	c.pending += n
	c.sub.outstanding.Store(int64(c.pending))
	return nil
}
