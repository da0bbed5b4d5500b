package salesforce_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
)

func TestHasDisplayReadsTheGivenEnvironment(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	}
	for _, tc := range []struct {
		vars map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"DISPLAY": ""}, false},
		{map[string]string{"DISPLAY": ":0"}, true},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
	} {
		if got := salesforce.HasDisplay(env(tc.vars)); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.vars, got, tc.want)
		}
	}
}
