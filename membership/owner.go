package membership

import (
	"cmp"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Assign gives every unit an owner among live: rendezvous hashing with
// bounded loads. Units are taken in the order of their own hash; each goes
// to the highest-scoring instance that is not yet full: floor(units/live)
// units each, and one more for the first (units mod live) instances to
// reach it. So loads differ by at most one, and a unit keeps its owner
// unless the live set changes in a way that outranks or fills it. Every
// instance computes the same map from the same units and live set, in
// whatever order it lists them. It returns nil when live is empty.
func Assign(units, live []string) map[string]string {
	if len(live) == 0 {
		return nil
	}
	live = slices.Compact(slices.Sorted(slices.Values(live)))
	ordered := slices.Compact(slices.Sorted(slices.Values(units)))
	hashes := make(map[string]uint64, len(ordered))
	for _, u := range ordered {
		hashes[u] = xxhash.Sum64String(u)
	}
	slices.SortStableFunc(ordered, func(a, b string) int { return cmp.Compare(hashes[a], hashes[b]) })

	// floor units each, and rem instances one more: exactly the units.
	floor, rem := len(ordered)/len(live), len(ordered)%len(live)
	atCeiling := 0
	load := make(map[string]int, len(live))
	owners := make(map[string]string, len(ordered))
	type scored struct {
		inst  string
		score uint64
	}
	ranked := make([]scored, len(live))
	for _, u := range ordered {
		for i, inst := range live {
			ranked[i] = scored{inst, score(inst, u)} // one hash per instance, not per comparison
		}
		slices.SortFunc(ranked, func(a, b scored) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.inst, b.inst)
		})
		capacity := floor
		if atCeiling < rem {
			capacity = floor + 1
		}
		for _, r := range ranked {
			inst := r.inst
			if load[inst] < capacity {
				owners[u] = inst
				load[inst]++
				if load[inst] == floor+1 {
					atCeiling++
				}
				break
			}
		}
	}
	return owners
}

// Share is the units of units that self owns among live (Assign), in the
// order of units.
func Share(units, live []string, self string) []string {
	if !slices.Contains(live, self) {
		return nil
	}
	owners := Assign(units, live)
	var mine []string
	for _, u := range units {
		if owners[u] == self {
			mine = append(mine, u)
		}
	}
	return slices.Compact(mine)
}

// score is instance's weight for unit.
func score(instance, unit string) uint64 {
	d := xxhash.New()
	_, _ = d.WriteString(instance)
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(unit)
	return d.Sum64()
}
