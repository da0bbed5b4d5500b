package membership_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sfcdc/sfcdc/membership"
)

// units are n integrations × 3 topics, named as serve names them.
func units(n int) []string {
	var out []string
	for i := range n {
		for _, topic := range []string{"/data/EmailMessageChangeEvent", "/data/CaseChangeEvent", "/data/TaskChangeEvent"} {
			out = append(out, fmt.Sprintf("acme/integration-%03d|%s", i, topic))
		}
	}
	return out
}

func loads(owners map[string]string) map[string]int {
	l := map[string]int{}
	for _, o := range owners {
		l[o]++
	}
	return l
}

func TestEveryUnitGetsOneOwnerAndLoadsDifferByAtMostOne(t *testing.T) {
	for _, c := range []struct{ integrations, instances int }{{50, 3}, {1000, 3}, {1000, 4}, {7, 5}, {1, 3}} {
		t.Run(fmt.Sprintf("%d×3 units over %d", c.integrations, c.instances), func(t *testing.T) {
			us := units(c.integrations)
			var live []string
			for i := range c.instances {
				live = append(live, fmt.Sprintf("instance-%d", i))
			}
			owners := membership.Assign(us, live)
			if len(owners) != len(us) {
				t.Fatalf("%d of %d units have an owner", len(owners), len(us))
			}
			min, max := len(us), 0
			for _, inst := range live {
				n := loads(owners)[inst]
				min, max = mini(min, n), maxi(max, n)
			}
			if max-min > 1 {
				t.Fatalf("loads from %d to %d; want them within one unit", min, max)
			}
			// Share agrees with Assign and the shares partition the units.
			var all []string
			for _, inst := range live {
				all = append(all, membership.Share(us, live, inst)...)
			}
			slices.Sort(all)
			want := slices.Clone(us)
			slices.Sort(want)
			if !slices.Equal(all, want) {
				t.Fatalf("the shares of the instances are not a partition of the units")
			}
		})
	}
}

func TestEveryInstanceComputesTheSameOwnersWhateverOrderItListsThingsIn(t *testing.T) {
	us := units(100)
	live := []string{"b", "a", "c"}
	want := membership.Assign(us, live)
	rev := slices.Clone(us)
	slices.Reverse(rev)
	got := membership.Assign(rev, []string{"c", "b", "a", "a"})
	for u, o := range want {
		if got[u] != o {
			t.Fatalf("unit %s: owner %s in one order, %s in another", u, o, got[u])
		}
	}
	if membership.Assign(us, nil) != nil || membership.Share(us, []string{"a"}, "z") != nil {
		t.Fatal("no live instances, or an instance not live, must own nothing")
	}
}

func TestAJoiningInstanceTakesAboutAQuarterAndLittleElseMoves(t *testing.T) {
	us := units(1000)
	three := []string{"instance-0", "instance-1", "instance-2"}
	four := append(slices.Clone(three), "instance-3")
	before, after := membership.Assign(us, three), membership.Assign(us, four)
	moved, toNew := 0, 0
	for _, u := range us {
		if before[u] != after[u] {
			moved++
			if after[u] == "instance-3" {
				toNew++
			}
		}
	}
	t.Logf("adding a 4th instance to 3 moved %d of %d units (%d to the newcomer; the minimum is %d)", moved, len(us), toNew, len(us)/4)
	if toNew != len(us)/4 || moved > len(us)*2/5 {
		t.Fatalf("moved %d units, %d to the newcomer; want the newcomer to get its quarter (%d) and at most 40 %% moved", moved, toNew, len(us)/4)
	}
	// An instance leaving: its units move, and few others.
	back := membership.Assign(us, three)
	for _, u := range us {
		if back[u] != before[u] {
			t.Fatalf("the assignment is not a function of the live set: %s went %s → %s", u, before[u], back[u])
		}
	}
	two := []string{"instance-0", "instance-1"}
	afterLeave := membership.Assign(us, two)
	stayed := 0
	for _, u := range us {
		if before[u] != "instance-2" && afterLeave[u] == before[u] {
			stayed++
		}
	}
	t.Logf("instance-2 leaving: %d of the %d units of the others kept their owner", stayed, len(us)-loads(before)["instance-2"])
	if stayed < (len(us)-loads(before)["instance-2"])*3/4 {
		t.Fatalf("only %d units of the staying instances kept their owner", stayed)
	}
}

func mini(a, b int) int { return min(a, b) }
func maxi(a, b int) int { return max(a, b) }
