package salesforce

import (
	"maps"
	"slices"
	"strings"
)

// applyValues validates caller values against an object and writes their
// stored form into rec. Field names are matched case-insensitively, as the
// API does; compound components may be given under their flat names
// (BillingCity) or as a map under the compound name (BillingAddress).
// It returns the object's key prefix.
func (o *Org) applyValues(object string, rec, v Values) (string, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	obj, err := o.cat.object(object)
	if err != nil {
		return "", errUnknownObject(err)
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if err := o.applyValueLocked(obj, rec, name, v[name]); err != nil {
			return "", err
		}
	}
	return obj.KeyPrefix, nil
}

func (o *Org) applyValueLocked(obj *Object, rec Values, name string, val any) error {
	f, comp, ok := resolveField(obj, name)
	if !ok {
		return errUnknownField(obj.Name, name)
	}
	if f.ReadOnly {
		return errReadOnly(obj.Name, f.Name)
	}
	if comp != nil {
		return setComponent(obj, rec, f, *comp, val)
	}
	if f.Type.IsCompound() {
		return setCompound(obj, rec, f, val)
	}
	n, err := normalizeScalar(f.Type, val)
	if err != nil {
		return errBadValue(obj.Name, f.Name, err.Error())
	}
	if id, isRef := n.(string); isRef && f.Type == TypeReference {
		if err := o.checkReferenceLocked(obj, f, id); err != nil {
			return err
		}
	}
	setOrDelete(rec, f.Name, n)
	return nil
}

// resolveField finds a field by API name, or the compound field and
// component whose flat name it is.
func resolveField(obj *Object, name string) (Field, *Component, bool) {
	for _, f := range obj.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, nil, true
		}
	}
	for _, f := range obj.Fields {
		for i, c := range f.Components {
			if strings.EqualFold(c.FlatName, name) {
				return f, &f.Components[i], true
			}
		}
	}
	return Field{}, nil, false
}

func setCompound(obj *Object, rec Values, f Field, val any) error {
	var parts map[string]any
	switch p := val.(type) {
	case nil:
		delete(rec, f.Name)
		return nil
	case Values:
		parts = p
	case map[string]any:
		parts = p
	default:
		return errBadValue(obj.Name, f.Name, "want a map of components, got a scalar")
	}
	for _, key := range slices.Sorted(maps.Keys(parts)) {
		i := slices.IndexFunc(f.Components, func(c Component) bool { return strings.EqualFold(c.Name, key) })
		if i < 0 {
			return errUnknownField(obj.Name, f.Name+"."+key)
		}
		if err := setComponent(obj, rec, f, f.Components[i], parts[key]); err != nil {
			return err
		}
	}
	return nil
}

func setComponent(obj *Object, rec Values, f Field, c Component, val any) error {
	n, err := normalizeScalar(c.Type, val)
	if err != nil {
		return errBadValue(obj.Name, c.FlatName, err.Error())
	}
	cur, _ := rec[f.Name].(Values)
	cur = maps.Clone(cur)
	if cur == nil {
		cur = Values{}
	}
	setOrDelete(cur, c.Name, n)
	if len(cur) == 0 {
		delete(rec, f.Name)
		return nil
	}
	rec[f.Name] = cur
	return nil
}

// checkReferenceLocked rejects a reference to a known object the field
// cannot point to. IDs of objects outside the catalogue (users, groups)
// are accepted as they are.
func (o *Org) checkReferenceLocked(obj *Object, f Field, id string) error {
	target, err := o.cat.objectOfID(id)
	if err != nil || len(f.ReferenceTo) == 0 || slices.Contains(f.ReferenceTo, target.Name) {
		return nil
	}
	return errBadValue(obj.Name, f.Name, "id value of incorrect type: "+id+" is a "+target.Name+", want "+strings.Join(f.ReferenceTo, " or "))
}

func setOrDelete(m Values, key string, v any) {
	if v == nil {
		delete(m, key)
		return
	}
	m[key] = v
}
