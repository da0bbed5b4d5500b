package registry

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/sealed"
	"go.yaml.in/yaml/v3"
)

// diff returns the dotted keys whose value differs between two specs,
// sorted; secrets are compared but only their keys are named.
func diff(old, next integration.Spec) []string {
	var keys []string
	for _, f := range secretFields {
		if f.get(&old) != f.get(&next) {
			keys = append(keys, f.key)
		}
		f.set(&old, "")
		f.set(&next, "")
	}
	a, b := flatten(old), flatten(next)
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// flatten spells a spec as dotted key → value text, through its YAML (the
// keys an operator writes), lists indexed: objects[0].object.
func flatten(s integration.Spec) map[string]string {
	text, err := yaml.Marshal(s)
	out := map[string]string{}
	if err != nil {
		out["(spec)"] = err.Error()
		return out
	}
	var tree any
	if err := yaml.Unmarshal(text, &tree); err != nil {
		out["(spec)"] = err.Error()
		return out
	}
	flattenInto(out, "", tree)
	return out
}

func flattenInto(out map[string]string, path string, v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			flattenInto(out, join(path, k), e)
		}
	case []any:
		for n, e := range t {
			flattenInto(out, fmt.Sprintf("%s[%d]", path, n), e)
		}
		if len(t) == 0 {
			out[path] = "[]"
		}
	default:
		b, _ := json.Marshal(t)
		out[path] = string(b)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sealedByOlderKey says whether a stored record holds a secret sealed by a
// key other than primary.
func sealedByOlderKey(raw []byte, primary string) bool {
	var rec record
	if json.Unmarshal(raw, &rec) != nil {
		return false
	}
	for _, s := range rec.Secrets {
		if id, err := sealed.KeyID(s); err != nil || id != primary {
			return true
		}
	}
	return false
}

// WriteChanges prints what Apply did, one line per integration: created,
// updated with the changed keys (secrets named, never shown), unchanged.
func WriteChanges(w io.Writer, changes []Change) {
	for _, c := range changes {
		switch c.Action {
		case Updated:
			fmt.Fprintf(w, "updated    %s (version %d): %s\n", c.Name, c.Version, strings.Join(c.Keys, ", "))
		case Created:
			fmt.Fprintf(w, "created    %s (version %d)\n", c.Name, c.Version)
		default:
			fmt.Fprintf(w, "unchanged  %s (version %d)\n", c.Name, c.Version)
		}
	}
}
