package replay

import (
	"strconv"
	"strings"
	"time"
)

// Lease is the right to work on one topic of one org, granted to Holder
// until it expires or is released. The store keeps at most one lease per
// (org, topic).
//
// A lease is an efficiency device: it keeps two instances from streaming the
// same topic. Correctness comes from Token: every checkpoint write carries it
// and the store refuses it (ErrFenced) once the lease is gone or another
// holder has a newer one, so a holder that was paused past its TTL cannot
// move the checkpoint.
type Lease struct {
	Org   string
	Topic string
	// Holder names the instance; unique per process (e.g. host, PID and a
	// random suffix), because acquiring again under the same holder name
	// returns the existing lease.
	Holder string
	// Token is the fencing token: it grows with every new acquisition of the
	// topic's lease and never repeats while the store keeps its data.
	Token uint64
	// TTL is how long each acquisition or renewal lasts.
	TTL time.Duration
	// Expires is the local deadline (monotonic clock, measured from before
	// the request was sent, so never later than the store's): past it the
	// holder must assume the lease is lost and stop requesting events.
	Expires time.Time
}

// Expired reports whether the lease's local deadline has passed at now.
func (l Lease) Expired(now time.Time) bool { return !now.Before(l.Expires) }

// leaseValue is what the store keeps for a lease: "<token>:<holder>".
func leaseValue(token uint64, holder string) string {
	return uintString(token) + ":" + holder
}

// parseLeaseValue reverses leaseValue. The holder may itself contain ':';
// the token never does.
func parseLeaseValue(v string) (token uint64, holder string, err error) {
	tok, holder, ok := strings.Cut(v, ":")
	if !ok || holder == "" {
		return 0, "", corruptf("lease value: want <token>:<holder>")
	}
	token, err = strconv.ParseUint(tok, 10, 64)
	if err != nil || token == 0 || tok[0] == '+' || tok[0] == '0' {
		return 0, "", corruptf("lease value: token is not a positive integer")
	}
	return token, holder, nil
}

func checkLease(l Lease) error {
	if err := checkOrgName(l.Org, "topic", l.Topic); err != nil {
		return err
	}
	if err := checkName("holder", l.Holder); err != nil {
		return err
	}
	if l.Token == 0 {
		return invalidf("lease without fencing token")
	}
	return checkTTL(l.TTL)
}
