// Package membership says which instances of a deployment are live and
// which of them owns each unit of work, so several `sfcdc serve` instances
// on one store share the integrations' streams and polling objects.
//
// Guarantee: every instance that sees the same units and live set computes
// the same owner for every unit (Assign is a pure function of the two
// sets), the loads of any two instances differ by at most one unit, and a
// unit changes owner only when the live set (or the set of units) changes;
// then few move: adding a fourth instance to three moves about a quarter
// of the units, most of them to the newcomer (a test measures it).
// An instance whose heartbeats have not been stored for a TTL counts
// itself out (Live no longer includes it), as the others do. Membership
// only spreads the work: the store's leases with fencing tokens still
// decide who may write a unit's checkpoint, so a stale view costs a
// standby's retry, never two writers.
//
// Assignment is rendezvous (highest random weight) hashing with bounded
// loads: each instance scores each unit with xxhash64(instance ‖ 0 ‖ unit);
// taking the units in the order of their own hash, each goes to the
// highest-scoring instance not yet holding ceil(units/instances). Plain
// rendezvous spreads 150 units over 3 instances with a standard deviation
// of about 6 units, beyond the ±10 % the deployment promises; the bound
// makes it exact. It is written here (a dozen lines)
// rather than taken from github.com/dgryski/go-rendezvous, which is
// unmaintained since 2020 and whose Remove is broken; xxhash
// (github.com/cespare/xxhash/v2, already linked through go-redis and the
// Prometheus client) gives the even spread the ±10 % target needs.
package membership
