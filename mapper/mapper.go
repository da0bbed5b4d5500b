package mapper

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Properties the mapper sets on every comment (their names are reserved).
const (
	propertyObject    = "Salesforce Object"
	propertyRecordID  = "Salesforce Id"
	propertyTruncated = "Truncated"
)

// Mapper maps records of the configured objects. It is immutable and safe
// for concurrent use.
type Mapper struct {
	objects map[string]*objectPlan
	order   []string
}

// objectPlan is an ObjectMapping with defaults applied and lookups
// precomputed.
type objectPlan struct {
	mapping    ObjectMapping
	html       map[string]bool
	properties []propertyPlan // sorted by name
	used       []string       // every field the comment reads, sorted
}

type propertyPlan struct {
	name  string
	field string
	force PropertyKind
	typed bool // force is set
}

// New validates cfg, applies the built-in and generic defaults, and returns
// a Mapper.
func New(cfg Config) (*Mapper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate mapping: %w", err)
	}
	m := &Mapper{objects: map[string]*objectPlan{}}
	for _, om := range cfg.Objects {
		m.objects[om.Object] = planObject(om.withDefaults())
		m.order = append(m.order, om.Object)
	}
	return m, nil
}

func planObject(om ObjectMapping) *objectPlan {
	cm := om.Comment
	p := &objectPlan{mapping: om, html: map[string]bool{}}
	for _, f := range cm.HTML {
		p.html[f] = true
	}
	for _, name := range sortedKeys(cm.Properties) {
		kind, field := splitPropertySpec(cm.Properties[name])
		p.properties = append(p.properties, propertyPlan{name: name, field: field, force: kind.kind, typed: kind.forced})
	}
	used := []string{cm.ID, cm.ThreadID, cm.Subject, cm.From, cm.To, cm.Cc, cm.SentAt}
	used = append(used, cm.Timestamp...)
	used = append(used, cm.Body...)
	for _, pp := range p.properties {
		used = append(used, pp.field)
	}
	used = slices.DeleteFunc(used, func(s string) bool { return s == "" })
	slices.Sort(used)
	p.used = slices.Compact(used)
	return p
}

type forcedKind struct {
	kind   PropertyKind
	forced bool
}

// splitPropertySpec reads "number:Amount", "string:Code" or "Status".
func splitPropertySpec(spec string) (forcedKind, string) {
	if f, ok := strings.CutPrefix(spec, numberPrefix); ok {
		return forcedKind{NumberProperty, true}, f
	}
	if f, ok := strings.CutPrefix(spec, stringPrefix); ok {
		return forcedKind{StringProperty, true}, f
	}
	return forcedKind{}, spec
}

// Objects returns the resolved mappings (defaults applied) in
// configuration order.
func (m *Mapper) Objects() []ObjectMapping {
	out := make([]ObjectMapping, 0, len(m.order))
	for _, name := range m.order {
		out = append(out, m.objects[name].mapping)
	}
	return out
}

// FetchFields returns the fields to request over REST for an object: Id,
// every field the comment uses, and the configured extra fields, sorted.
func (m *Mapper) FetchFields(object string) ([]string, error) {
	p, ok := m.objects[object]
	if !ok {
		return nil, fmt.Errorf("fetch fields of %s: %w", object, ErrUnknownObject)
	}
	fields := append([]string{"Id"}, p.used...)
	fields = append(fields, p.mapping.Fields...)
	slices.Sort(fields)
	return slices.Compact(fields), nil
}

// ResultKind says what a mapping result asks of the uploader.
type ResultKind uint8

const (
	// ResultUpsert: send Comment (as JSON) to the sync endpoint.
	ResultUpsert ResultKind = iota
	// ResultDelete: delete the comment with CommentID.
	ResultDelete
	// ResultKeep: the record was deleted and its comment is kept; nothing
	// to do.
	ResultKeep
)

var resultKindNames = [...]string{"upsert", "delete", "keep"}

func (k ResultKind) String() string {
	if int(k) < len(resultKindNames) {
		return resultKindNames[k]
	}
	return "unknown"
}

// Result is the outcome of mapping one record.
type Result struct {
	Kind      ResultKind
	Object    string
	RecordID  string
	CommentID string
	// JSON and Hashes are set for ResultUpsert. JSON is the comment's
	// canonical encoding; Comment decodes it.
	JSON   []byte
	Hashes Hashes
}

// Map turns a record into a comment, or into a delete for a deleted record.
// Errors are *RecordError (or wrap ErrUnknownObject) and concern this record
// only.
func (m *Mapper) Map(rec Record) (Result, error) {
	p, ok := m.objects[rec.Object]
	if !ok {
		return Result{}, fmt.Errorf("map %s record %s: %w", rec.Object, rec.ID, ErrUnknownObject)
	}
	key := rec.text(p.mapping.Comment.ID)
	if key == "" {
		return Result{}, recordError(rec, p.mapping.Comment.ID, "the record has no ID")
	}
	res := Result{Object: rec.Object, RecordID: rec.ID, CommentID: CommentID(rec.Object, key)}
	if rec.Deleted {
		res.Kind = ResultDelete
		if p.mapping.OnDelete == KeepComment {
			res.Kind = ResultKeep
		}
		return res, nil
	}
	var err error
	res.JSON, res.Hashes, err = p.encode(rec, res.CommentID, key)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func firstTime(rec Record, fields []string) (time.Time, bool) {
	for _, f := range fields {
		if t, ok := valueTime(rec.lookup(f)); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func (p *objectPlan) propertiesOf(rec Record, key string, truncated []string) []Property {
	// Sized once: growing from two entries cost three allocations a comment.
	props := make([]Property, 2, 3+len(p.properties))
	props[0] = Property{Name: propertyObject, Text: rec.Object}
	props[1] = Property{Name: propertyRecordID, Text: cleanText(key, false)}
	if len(truncated) > 0 {
		props = append(props, Property{Name: propertyTruncated, Text: strings.Join(truncated, ",")})
	}
	for _, pp := range p.properties {
		if prop, ok := pp.value(rec); ok {
			props = append(props, prop)
		}
	}
	sortProperties(props)
	return props
}

// value types a property by its value unless the mapping forces a type.
// Empty values and numbers that are not finite are omitted.
func (pp propertyPlan) value(rec Record) (Property, bool) {
	v := rec.lookup(pp.field)
	numeric := isNumeric(v)
	if pp.typed {
		numeric = pp.force == NumberProperty
	}
	if numeric {
		f, ok := valueNumber(v)
		return Property{Name: pp.name, Kind: NumberProperty, Number: f}, ok
	}
	text, _ := truncate(cleanText(valueText(v), false), MaxTextChars)
	return Property{Name: pp.name, Text: text}, text != ""
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
