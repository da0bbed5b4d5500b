package integration

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The configuration file (YAML); examples/sfcdc.yaml shows every section:
//
//	name:         <project>/<name> of the integration (optional for now)
//	salesforce:   connection and auth (salesforce.go, auth.go)
//	commsmining:  CM API root, token, project and source (uploader.Config)
//	backfill:     overlap, page size, API budget, polling (backfill.Config)
//	objects:      the objects and their comment mappings (mapper.ObjectMapping)
//	run:          start, recovery policy, leases, shutdown grace (run.go)
//
// A process's file may add sections of its own (sfcdc's store: and
// monitoring:) around a Spec: see Document.
//
// ${VAR} in a value is replaced by the environment variable VAR (empty when
// unset), so secrets can stay out of the file; the value is taken verbatim,
// and a "$" that starts no ${VAR} stays as written: $VAR without braces is
// not a reference, so a password such as pa$word is read as written. A
// ${VAR} naming an unset variable is named in the error of the key it
// leaves empty. Keys are never expanded. The environment also overrides
// the salesforce keys (SFCDC_ACCESS_TOKEN, SFCDC_INSTANCE_URL, …) and
// commsmining.token (SFCDC_CM_TOKEN): see ApplyEnv.

// Document is the type of a configuration file: Spec itself, or a struct
// embedding Spec inline (`yaml:",inline"`) with sections of its own.
type Document interface {
	// Integration is the Spec in the document, to apply the environment to.
	Integration() *Spec
	// Problems is the one check of the document's values: one line per
	// problem, each starting with its dotted key.
	Problems() []string
}

// Decoded is a configuration as read: its values, what could not be
// decoded (unknown keys, values of the wrong kind), and where each key is,
// for the validation messages.
type Decoded[D any] struct {
	// Value holds what decoded; a key that could not be decoded keeps its
	// zero value.
	Value    D
	name     string
	problems []problem
	index    keyIndex
}

// Decode decodes raw (at most MaxFileBytes), the file called name in
// messages, into a D with environment references expanded through env.
// Only bytes that cannot be parsed as YAML are an error; the decoding
// problems are kept in the result, for Check to report with the
// validation of the rest.
func Decode[D any](name string, raw []byte, env Env) (Decoded[D], error) {
	f := Decoded[D]{name: name, index: newKeyIndex()}
	if len(raw) > MaxFileBytes {
		return f, Invalid(tooLarge(name, fmt.Sprintf("it has %d bytes", len(raw)), MaxFileBytes))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return f, Invalid(fmt.Errorf("parse config file %s: %w", name, redactYAMLError(err)))
	}
	if doc.Kind == 0 {
		return f, nil // an empty file
	}
	uses := map[*yaml.Node]envUse{}
	if err := expandEnvReferences(&doc, env.lookup, MaxFileBytes, uses); err != nil {
		return f, Invalid(fmt.Errorf("expand config file %s: %w", name, err))
	}
	f.problems, f.index = walkConfig(&doc, uses, reflectTypeOf[D]())
	if err := doc.Decode(&f.Value); err != nil && len(f.problems) == 0 {
		// The walk blanks every value it refuses, so the library refusing
		// the rest means the walk missed a rule: still say it, values hidden.
		f.problems = append(f.problems, problem{key: "the file", path: "-", text: ": " + redactYAMLError(err).Error()})
	}
	return f, nil
}

// DecodeFile is Decode of the file at path, read only when it has at most
// MaxFileBytes. An empty path is an empty configuration.
func DecodeFile[D any](path string, env Env) (Decoded[D], error) {
	if path == "" {
		return Decoded[D]{name: path, index: newKeyIndex()}, nil
	}
	raw, err := readBounded(path, MaxFileBytes)
	if err != nil {
		return Decoded[D]{name: path, index: newKeyIndex()}, Invalid(err)
	}
	return Decode[D](path, raw, env)
}

// DecodingErr is the error listing the problems found while decoding
// (unknown keys, values of the wrong kind), or nil.
func (f Decoded[D]) DecodingErr() error {
	if len(f.problems) == 0 {
		return nil
	}
	return problemsError(f.name, f.index.mergeProblems(f.problems, nil))
}

// Check reports the decoding problems and the validation messages
// together, each with its key's line, sorted by line, in one error (nil
// when there are none).
func (f Decoded[D]) Check(messages []string) error {
	if problems := f.index.mergeProblems(f.problems, messages); len(problems) > 0 {
		return problemsError(f.name, problems)
	}
	return nil
}

// Load decodes raw (the file called name in messages) into a D, applies
// the environment's overrides to its Spec, and checks it in one pass:
// every problem of the file (unknown keys, values of the wrong kind, and
// the validation of each section) in one error, one a line, sorted by
// line. Every error it returns is ErrInvalid.
func Load[D any, PD interface {
	*D
	Document
}](name string, raw []byte, env Env) (D, error) {
	f, err := Decode[D](name, raw, env)
	if err != nil {
		return f.Value, err
	}
	return finish[D, PD](&f, env)
}

// LoadFile is Load of the file at path, read only when it has at most
// MaxFileBytes.
func LoadFile[D any, PD interface {
	*D
	Document
}](path string, env Env) (D, error) {
	if path == "" {
		var zero D
		return zero, Invalid(errors.New("load the configuration: no file named"))
	}
	f, err := DecodeFile[D](path, env)
	if err != nil {
		return f.Value, err
	}
	return finish[D, PD](&f, env)
}

// finish applies the environment to f's value and checks it.
func finish[D any, PD interface {
	*D
	Document
}](f *Decoded[D], env Env) (D, error) {
	doc := PD(&f.Value)
	if err := ApplyEnv(doc.Integration(), env); err != nil {
		return f.Value, err
	}
	return f.Value, f.Check(doc.Problems())
}

// configEnvReference is a ${NAME} reference to an environment variable.
var configEnvReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// envUse is what expansion did to one value: the value as written, and
// the referenced variables that are not set.
type envUse struct {
	written string
	unset   []string
}

// expandEnvReferences replaces ${NAME} in every scalar value of the parsed
// document by the variable's value (empty when unset), and notes in uses
// each value it changed. It works on the parsed values, not on the file's
// text, so a value is taken verbatim: a secret holding "#", ": " or quotes
// cannot change the YAML around it, and a "$" not followed by "{NAME}" (as
// in a password written in the file) stays as it is. Keys are not
// expanded. The values it puts in may add up to budget bytes: the file's
// size limit would mean little if a reference repeated in it could make
// the configuration gigabytes long.
func expandEnvReferences(n *yaml.Node, lookup func(string) (string, bool), budget int, uses map[*yaml.Node]envUse) error {
	_, err := expandWithin(n, lookup, budget, uses)
	return err
}

// expandWithin is expandEnvReferences returning the budget left.
func expandWithin(n *yaml.Node, lookup func(string) (string, bool), budget int, uses map[*yaml.Node]envUse) (int, error) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		return expandScalar(n, lookup, budget, uses)
	}
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // a key
		}
		var err error
		if budget, err = expandWithin(child, lookup, budget, uses); err != nil {
			return 0, err
		}
	}
	return budget, nil
}

// expandScalar expands the references of one value. A plain (unquoted)
// value is then read as if its result had been written in the file, so
// page_size: ${PAGE_SIZE} is a number; an empty result stays text, so the
// key's error can say which variable is not set.
func expandScalar(n *yaml.Node, lookup func(string) (string, bool), budget int, uses map[*yaml.Node]envUse) (int, error) {
	refs := configEnvReference.FindAllStringSubmatch(n.Value, -1)
	if len(refs) == 0 {
		return budget, nil // a "${" that starts no reference
	}
	use := envUse{written: n.Value}
	for _, ref := range refs {
		v, set := lookup(ref[1])
		if !set && !slices.Contains(use.unset, ref[1]) {
			use.unset = append(use.unset, ref[1])
		}
		if budget -= len(v); budget < 0 {
			return 0, fmt.Errorf("line %d: the ${VAR} values add up to more than %s; a configuration value needs far less: check the variables referenced", n.Line, sizeLimitText(MaxFileBytes))
		}
	}
	n.Value = configEnvReference.ReplaceAllStringFunc(n.Value, func(ref string) string {
		v, _ := lookup(ref[2 : len(ref)-1])
		return v
	})
	uses[n] = use
	if n.Style == 0 && n.Value != "" {
		n.Tag = ""
		if n.ShortTag() == "!!null" {
			n.Tag = "!!str" // a value such as "null" or "~" stays text
		}
	}
	return budget, nil
}

// yamlQuotedValue is how YAML decoding errors quote a value, e.g.
// "cannot unmarshal !!str `…` into int".
var yamlQuotedValue = regexp.MustCompile("`[^`]*`")

// redactYAMLError hides the values a decoding error quotes: after ${VAR}
// expansion a value may be a secret put under the wrong key.
func redactYAMLError(err error) error {
	return errors.New(yamlQuotedValue.ReplaceAllString(err.Error(), "(value hidden)"))
}
