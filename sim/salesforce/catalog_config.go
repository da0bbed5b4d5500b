package salesforce

import (
	"fmt"
	"slices"
	"strings"
)

// buildCatalog turns a Config into the org's objects, checking every
// declaration against the standard catalogue.
func buildCatalog(c Config) (*catalog, error) {
	cat := newCatalog()
	for _, o := range standardObjects() {
		if o.Name == "CaseComment" && c.CaseCommentChangeEvents {
			o.HasChangeEvent, o.CDCSelected = true, true
		}
		if err := cat.add(o); err != nil {
			return nil, configError("objects", "%v", err)
		}
	}
	if err := checkConfigIDs(c); err != nil {
		return nil, err
	}
	if err := unselectObjects(cat, c.NoChangeEvents); err != nil {
		return nil, err
	}
	if err := addCustomObjects(cat, c.CustomObjects); err != nil {
		return nil, err
	}
	for i, f := range c.CustomFields {
		if err := cat.addField(f.Object, f.FieldSpec); err != nil {
			return nil, configError(fmt.Sprintf("CustomFields[%d]", i), "%v", err)
		}
	}
	if err := checkCustomChannels(cat, c.CustomChannels); err != nil {
		return nil, err
	}
	return cat, checkPlatformEvents(c.PlatformEvents)
}

func checkConfigIDs(c Config) error {
	for _, v := range []struct{ key, id, prefix string }{
		{"OrgID", c.OrgID, PrefixOrganization}, {"UserID", c.UserID, PrefixUser},
	} {
		if v.id == "" {
			continue
		}
		if err := ValidateRecordID(v.id); err != nil || KeyPrefix(v.id) != v.prefix {
			return configError(v.key, "%q is not an 18-character ID starting with %s; leave it empty to generate one", v.id, v.prefix)
		}
	}
	for _, v := range []struct {
		key string
		n   int64
	}{{"MaxEventBytes", int64(c.MaxEventBytes)}, {"MaxTransactionChanges", int64(c.MaxTransactionChanges)}, {"FirstCommitNumber", c.FirstCommitNumber}} {
		if v.n < 0 {
			return configError(v.key, "%d is negative; use 0 for the default", v.n)
		}
	}
	return nil
}

func unselectObjects(cat *catalog, names []string) error {
	for _, name := range names {
		o, err := cat.object(name)
		if err != nil {
			return configError("NoChangeEvents", "%v; use a standard object's API name", err)
		}
		o.CDCSelected = false
	}
	return nil
}

func addCustomObjects(cat *catalog, specs []CustomObject) error {
	for i, spec := range specs {
		key := fmt.Sprintf("CustomObjects[%d]", i)
		base, ok := strings.CutSuffix(spec.Name, "__c")
		if !ok || !isAPIName(base) {
			return configError(key+".Name", "%q must be letters, digits and underscores ending in __c", spec.Name)
		}
		prefix := spec.KeyPrefix
		if prefix == "" {
			prefix = nextCustomPrefix(cat)
		}
		if len(prefix) != 3 || checkIDCharacters(prefix) != nil {
			return configError(key+".KeyPrefix", "%q must be three letters or digits, e.g. a0X", prefix)
		}
		for _, f := range spec.Fields {
			if err := f.validate(); err != nil {
				return configError(key+".Fields", "%v", err)
			}
		}
		o := customObject(spec, prefix)
		if err := checkUniqueFields(o); err != nil {
			return configError(key+".Fields", "%v", err)
		}
		if err := cat.add(o); err != nil {
			return configError(key, "%v", err)
		}
	}
	return nil
}

func checkUniqueFields(o *Object) error {
	seen := map[string]bool{}
	for _, f := range o.Fields {
		if seen[f.Name] {
			return fmt.Errorf("field %s is declared twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// nextCustomPrefix hands out a0X, a0Y, … skipping prefixes in use.
func nextCustomPrefix(cat *catalog) string {
	start := strings.IndexByte(idBase62, 'X')
	for i := start; ; i++ {
		p := "a" + string(idBase62[i/62%62]) + string(idBase62[i%62])
		if _, taken := cat.byPrefix[p]; !taken {
			return p
		}
	}
}

func checkCustomChannels(cat *catalog, channels []CustomChannel) error {
	seen := map[string]bool{}
	for i, ch := range channels {
		key := fmt.Sprintf("CustomChannels[%d]", i)
		base, ok := strings.CutSuffix(ch.Name, "__chn")
		if !ok || !isAPIName(base) || seen[ch.Name] {
			return configError(key+".Name", "%q must be a unique API name ending in __chn", ch.Name)
		}
		seen[ch.Name] = true
		if len(ch.Entities) == 0 {
			return configError(key+".Entities", "list at least one object")
		}
		for _, e := range ch.Entities {
			o, err := cat.object(e)
			if err != nil {
				return configError(key+".Entities", "%v", err)
			}
			if !o.HasChangeEvent {
				return configError(key+".Entities", "%s has no change event (for CaseComment set CaseCommentChangeEvents)", e)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(ch.Entities)))) != len(ch.Entities) {
			return configError(key+".Entities", "lists an object twice")
		}
	}
	return nil
}

func checkPlatformEvents(events []PlatformEvent) error {
	seen := map[string]bool{}
	for i, pe := range events {
		if err := pe.validate(); err != nil {
			return configError(fmt.Sprintf("PlatformEvents[%d]", i), "%v", err)
		}
		if seen[pe.Name] {
			return configError(fmt.Sprintf("PlatformEvents[%d]", i), "%s is declared twice", pe.Name)
		}
		seen[pe.Name] = true
	}
	return nil
}

func (pe PlatformEvent) validate() error {
	base, ok := strings.CutSuffix(pe.Name, "__e")
	if !ok || !isAPIName(base) {
		return fmt.Errorf("name %q must be letters, digits and underscores ending in __e", pe.Name)
	}
	seen := map[string]bool{}
	for _, f := range pe.Fields {
		if err := f.validate(); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("field %s is declared twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}
