package integration

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/quote"
	"go.yaml.in/yaml/v3"
)

// The YAML library stops a key's problems at its own words ("field projcet
// not found in type uploader.Config", "cannot unmarshal !!str into int")
// and reports a bad value only after every unknown key is fixed. The walk
// below goes over the parsed document against the document type's yaml tags
// instead, so every problem of the file is found in one pass and each is
// told in the operator's terms: the dotted key, its line, what the key
// wants. Values are judged by the library itself (each value is decoded
// alone into its field's type), so the walk never refuses what the library
// accepts, nor the reverse.

// keyIndex is what the walk learnt about each key of the file, by its
// dotted path (objects[0].comment.body): the line it is on, and the ${VAR}
// references in its value that name unset variables.
type keyIndex struct {
	lines map[string]int
	unset map[string]unsetNote
	// meant holds the keys an unknown key was taken for ("did you mean
	// project?"): the complaint that such a key is missing says nothing
	// more.
	meant map[string]bool
}

// newKeyIndex is an empty index.
func newKeyIndex() keyIndex {
	return keyIndex{lines: map[string]int{}, unset: map[string]unsetNote{}, meant: map[string]bool{}}
}

// unsetNote is an unset variable's part in a value: the value as written
// and the names of the unset variables it references.
type unsetNote struct {
	written string
	names   []string
}

// text tells how the unset variables made the value, e.g. "it is
// ${SFCDC_CM_URL}, which is not set".
func (u unsetNote) text() string {
	refs := make([]string, len(u.names))
	for i, name := range u.names {
		refs[i] = "${" + name + "}"
	}
	if len(refs) == 1 && u.written == refs[0] {
		return "it is " + refs[0] + ", which is not set"
	}
	if len(refs) == 1 {
		return refs[0] + " in it is not set"
	}
	return strings.Join(refs, " and ") + " in it are not set"
}

// configWalk collects the problems of one document.
type configWalk struct {
	root     reflect.Type // the document's type
	env      map[*yaml.Node]envUse
	index    keyIndex
	problems []problem
}

// reflectTypeOf is the type D.
func reflectTypeOf[D any]() reflect.Type { return reflect.TypeFor[D]() }

// walkConfig checks the document against struct type root and returns its
// problems and its key index.
func walkConfig(doc *yaml.Node, env map[*yaml.Node]envUse, root reflect.Type) ([]problem, keyIndex) {
	w := &configWalk{root: root, env: env, index: newKeyIndex()}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		w.value("", doc.Content[0], root)
	}
	return w.problems, w.index
}

// value checks node n, the value at path, against type t.
func (w *configWalk) value(path string, n *yaml.Node, t reflect.Type) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if use, ok := w.env[n]; ok && len(use.unset) > 0 {
		w.index.unset[path] = unsetNote{written: use.written, names: use.unset}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty key takes its default, as the library does
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		w.section(path, n, t)
	case t.Kind() == reflect.Slice && (t.Elem().Kind() == reflect.Struct || n.Kind == yaml.SequenceNode):
		w.list(path, n, t)
	default:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			w.refuse(path, n, t)
		}
	}
}

// list checks a list of type t item by item, so a wrong item is named
// by its index.
func (w *configWalk) list(path string, n *yaml.Node, t reflect.Type) {
	if n.Kind != yaml.SequenceNode {
		w.refuse(path, n, t)
		return
	}
	for i, item := range n.Content {
		itemPath := path + "[" + strconv.Itoa(i) + "]"
		w.index.lines[itemPath] = item.Line
		w.value(itemPath, item, t.Elem())
	}
}

// section checks a mapping against the yaml keys of struct type t: each
// key known, given once, and its value of the key's type.
func (w *configWalk) section(path string, n *yaml.Node, t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		w.refuse(path, n, t)
		return
	}
	fields := yamlFields(t)
	seen := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if first, dup := seen[key.Value]; dup {
			// The library refuses the whole file for a repeated key; the
			// second one is reported and left out so the rest is decoded.
			w.add(joinKey(path, keyName(key.Value)), key.Line, "given twice (first at line "+strconv.Itoa(first)+"); keep one")
			continue
		}
		seen[key.Value] = key.Line
		kept = append(kept, key, val)
		w.key(path, key, val, fields, t)
	}
	n.Content = kept
}

// key checks one key of a section and its value.
func (w *configWalk) key(path string, key, val *yaml.Node, fields map[string]reflect.StructField, t reflect.Type) {
	if key.Value == "<<" && key.ShortTag() == "!!merge" {
		w.merge(path, val, t)
		return
	}
	keyPath := joinKey(path, keyName(key.Value))
	field, known := fields[key.Value]
	if !known {
		text, meant := unknownKey(w.root, path, key.Value, t)
		if meant != "" {
			w.index.meant[meant] = true
		}
		w.add(keyPath, key.Line, text)
		return
	}
	w.index.lines[keyPath] = key.Line
	w.value(keyPath, val, field.Type)
}

// merge checks the mappings a YAML merge key ("<<: *defaults") brings in.
func (w *configWalk) merge(path string, val *yaml.Node, t reflect.Type) {
	if val.Kind == yaml.SequenceNode {
		for _, item := range val.Content {
			w.merge(path, item, t)
		}
		return
	}
	if val.Kind == yaml.AliasNode && val.Alias != nil {
		val = val.Alias
	}
	w.section(path, val, t)
}

// refuse records that the value n at path is not what the key wants,
// and blanks it (the key then takes its default) so the rest of the file
// still decodes and is validated.
func (w *configWalk) refuse(path string, n *yaml.Node, t reflect.Type) {
	text := w.want(t) + ", got " + w.describe(path, n)
	if _, fromEnv := w.env[n]; !fromEnv && t == durationType && bareNumber.MatchString(n.Value) {
		text += "; add a unit, e.g. " + n.Value + "s"
	}
	line, ok := w.index.lines[path]
	if !ok {
		line = n.Line
	}
	w.add(path, line, text)
	blank := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	if t.Kind() == reflect.Struct {
		// An empty section rather than nothing: a list keeps the entry,
		// so the entries after it keep their index.
		blank = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	}
	*n = blank
}

// add records a problem of the key at path on line.
func (w *configWalk) add(path string, line int, text string) {
	w.problems = append(w.problems, problem{key: displayKey(path), path: path, line: line, text: ": " + text})
}

// describe names what the file gives at path without repeating a value
// that may be a secret: one that came from the environment (a secret put
// under the wrong key) or that sits under a key holding a secret.
func (w *configWalk) describe(path string, n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section of keys"
	case yaml.SequenceNode:
		return "a list"
	}
	if use, ok := w.env[n]; ok {
		if n.Value == "" {
			return "an empty value"
		}
		return "the value of " + use.written + " (not shown)"
	}
	if secretKey(path) {
		return "a value not shown (the key holds a secret)"
	}
	return quote.Value(n.Value)
}

// Types the messages below name in the operator's terms.
var (
	durationType  = reflect.TypeFor[time.Duration]()
	fieldListType = reflect.TypeFor[mapper.FieldList]()
)

// want says what a key of type t takes, without the Go type's name.
func (w *configWalk) want(t reflect.Type) string {
	switch {
	case t == w.root:
		return "want sections such as salesforce:, commsmining: and store: (see examples/sfcdc.yaml)"
	case t == durationType:
		return "want a Go duration such as 15s or 2m"
	case t == fieldListType:
		return "want a field name or a list of field names"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "want true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "want a whole number"
	case reflect.Float32, reflect.Float64:
		return "want a number"
	case reflect.String:
		return "want a single value"
	case reflect.Map:
		return "want name: value lines under it"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "want a list of entries (lines starting with - under it)"
		}
		return "want a list such as [a, b]"
	case reflect.Struct:
		return "want a section of keys (key: value lines under it)"
	}
	return "want another kind of value"
}

// unknownKey is the message for a key that struct type t (at path) does
// not have: the closest known key when one is near, the key's place when
// it belongs to another section, else the keys there are.
// It also returns the path of the key meant, when there is one here.
func unknownKey(root reflect.Type, path, key string, t reflect.Type) (text, meant string) {
	names := yamlNames(t)
	if near := nearest(key, names); near != "" {
		return "unknown key; did you mean " + near + "?", joinKey(path, near)
	}
	if elsewhere := sectionsWith(root, key); len(elsewhere) > 0 {
		return "unknown key here; did you mean " + strings.Join(elsewhere, " or ") + "?", ""
	}
	what := "the keys of " + displayKey(path) + " are "
	if path == "" {
		what = "the sections are "
	}
	return "unknown key; " + what + strings.Join(names, ", "), ""
}

// nearest is the name closest to key by edit distance (case and - versus _
// ignored), when it is close enough to be a slip: at most two edits, and
// at most half the key. Empty when none is.
func nearest(key string, names []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", 3
	for _, name := range names {
		d := levenshtein.ComputeDistance(norm(key), norm(name))
		if d < bestDist && 2*d <= len(key) {
			best, bestDist = name, d
		}
	}
	return best
}

// sectionsWith lists the dotted paths of the keys named key in any
// section of the file (of type root), for a key written in the wrong
// section.
func sectionsWith(root reflect.Type, key string) []string {
	var out []string
	for _, p := range allKeyPaths(root, "") {
		if p == key || strings.HasSuffix(p, "."+key) {
			out = append(out, p)
		}
	}
	return out
}

// allKeyPaths lists the dotted path of every key below struct type t.
func allKeyPaths(t reflect.Type, prefix string) []string {
	var out []string
	fields := yamlFields(t)
	for _, name := range yamlNames(t) {
		ft := fields[name].Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		p := prefix + name
		out = append(out, p)
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, allKeyPaths(ft, p+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, allKeyPaths(ft.Elem(), p+"[].")...)
		}
	}
	return out
}

// yamlFields maps each yaml key of struct type t to its field; the keys
// of a struct inlined (`yaml:",inline"`, as a process's document embeds
// Spec) are t's own, their Index the path to them.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			for sub, sf := range yamlFields(f.Type) {
				sf.Index = append([]int{i}, sf.Index...)
				out[sub] = sf
			}
			continue
		}
		if f.IsExported() && name != "" && name != "-" {
			out[name] = f
		}
	}
	return out
}

// yamlNames lists the yaml keys of struct type t in field order.
func yamlNames(t reflect.Type) []string {
	fields := yamlFields(t)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return slices.Compare(fields[a].Index, fields[b].Index) })
	return names
}

// bareNumber is a duration written without its unit, such as 300.
var bareNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// plainKey is a key name shown as written; any other is quoted.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// keyName is a key as a message shows it.
func keyName(k string) string {
	if plainKey.MatchString(k) {
		return k
	}
	return quote.Value(k)
}

// joinKey is the dotted path of key in the section at path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// displayKey is a path as messages show it; the root is "the file".
func displayKey(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// secretKey reports whether the key at path holds a secret (or, as
// store.redis_url may, a value with one in it): its value is never shown.
func secretKey(path string) bool {
	name := path[strings.LastIndex(path, ".")+1:]
	return name == "token" || strings.HasSuffix(name, "_token") || strings.Contains(name, "secret") ||
		strings.Contains(name, "password") || strings.Contains(name, "private_key") || name == "redis_url"
}
