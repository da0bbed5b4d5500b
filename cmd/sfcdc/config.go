package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/uploader"
	"go.yaml.in/yaml/v3"
)

// The configuration file (YAML) that `sfcdc backfill` reads and `sfcdc
// run` shares; examples/sfcdc.yaml shows every section:
//
//	salesforce:   connection and auth (connection.go, auth_config.go)
//	commsmining:  CM API root, token, project and source (uploader.Config)
//	store:        Redis or the embedded file store (replay.Config)
//	backfill:     overlap, page size, API budget, polling (backfill.Config)
//	objects:      the objects and their comment mappings (mapper.ObjectMapping)
//	run:          start, recovery policy, leases, shutdown grace (run_config.go)
//
// ${VAR} in a value is replaced by the environment variable VAR (empty when
// unset), so secrets can stay out of the file; the value is taken verbatim,
// and a "$" that starts no ${VAR} stays as written: $VAR without braces is
// not a reference, so a password such as pa$word is read as written. A
// ${VAR} naming an unset variable is named in the error of the key it
// leaves empty. Keys are never expanded. The environment also overrides
// the salesforce keys (SFCDC_ACCESS_TOKEN, SFCDC_INSTANCE_URL, …) and
// commsmining.token (SFCDC_CM_TOKEN).

// decodedFile is a configuration file as read: its values, what could not
// be decoded (unknown keys, values of the wrong kind), and where each key
// is, for the validation messages.
type decodedFile struct {
	cfg      fileConfig
	problems []configProblem
	index    keyIndex
}

// readConfigFile decodes the file at path with environment references
// expanded. Unknown keys and values of the wrong kind are errors, all of
// them in one; an empty path is an empty configuration.
func readConfigFile(path string) (fileConfig, error) {
	f, err := decodeConfigFile(path)
	if err != nil {
		return f.cfg, err
	}
	if len(f.problems) > 0 {
		return f.cfg, problemsError(path, f.index.mergeProblems(f.problems, nil))
	}
	return f.cfg, nil
}

// decodeConfigFile reads and decodes the file at path. Only a file that
// cannot be read or parsed as YAML is an error; its decoding problems are
// returned with the values that did decode, so they can be reported
// together with the validation of the rest.
func decodeConfigFile(path string) (decodedFile, error) {
	f := decodedFile{index: newKeyIndex()}
	if path == "" {
		return f, nil
	}
	raw, err := readBounded(path, maxConfigBytes)
	if err != nil {
		return f, usageError{err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return f, usageError{fmt.Errorf("parse config file %s: %w", path, redactYAMLError(err))}
	}
	if doc.Kind == 0 {
		return f, nil // an empty file
	}
	env := map[*yaml.Node]envUse{}
	if err := expandEnvReferences(&doc, maxConfigBytes, env); err != nil {
		return f, usageError{fmt.Errorf("expand config file %s: %w", path, err)}
	}
	f.problems, f.index = walkConfig(&doc, env)
	if err := doc.Decode(&f.cfg); err != nil && len(f.problems) == 0 {
		// The walk blanks every value it refuses, so the library refusing
		// the rest means the walk missed a rule: still say it, values hidden.
		f.problems = append(f.problems, configProblem{key: "the file", path: "-", text: ": " + redactYAMLError(err).Error()})
	}
	return f, nil
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
func expandEnvReferences(n *yaml.Node, budget int, uses map[*yaml.Node]envUse) error {
	_, err := expandWithin(n, budget, uses)
	return err
}

// expandWithin is expandEnvReferences returning the budget left.
func expandWithin(n *yaml.Node, budget int, uses map[*yaml.Node]envUse) (int, error) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		return expandScalar(n, budget, uses)
	}
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // a key
		}
		var err error
		if budget, err = expandWithin(child, budget, uses); err != nil {
			return 0, err
		}
	}
	return budget, nil
}

// expandScalar expands the references of one value. A plain (unquoted)
// value is then read as if its result had been written in the file, so
// page_size: ${PAGE_SIZE} is a number; an empty result stays text, so the
// key's error can say which variable is not set.
func expandScalar(n *yaml.Node, budget int, uses map[*yaml.Node]envUse) (int, error) {
	refs := configEnvReference.FindAllStringSubmatch(n.Value, -1)
	if len(refs) == 0 {
		return budget, nil // a "${" that starts no reference
	}
	use := envUse{written: n.Value}
	for _, ref := range refs {
		v, set := os.LookupEnv(ref[1])
		if !set && !slices.Contains(use.unset, ref[1]) {
			use.unset = append(use.unset, ref[1])
		}
		if budget -= len(v); budget < 0 {
			return 0, fmt.Errorf("line %d: the ${VAR} values add up to more than %s; a configuration value needs far less: check the variables referenced", n.Line, sizeLimitText(maxConfigBytes))
		}
	}
	n.Value = configEnvReference.ReplaceAllStringFunc(n.Value, func(ref string) string {
		return os.Getenv(ref[2 : len(ref)-1])
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

// loadConfig reads the whole configuration (file, then environment) and
// checks it in one pass: every problem of the file (unknown keys, values
// of the wrong kind, and the validation of each section) in one error,
// one a line, sorted by line.
func loadConfig(path string) (fileConfig, error) {
	if path == "" {
		return fileConfig{}, usageError{errors.New("--config is required: the file names the objects, CM and the store (see examples/sfcdc.yaml)")}
	}
	f, err := decodeConfigFile(path)
	if err != nil {
		return f.cfg, err
	}
	cfg := f.cfg
	if err := applyConnectionEnv(&cfg.Salesforce); err != nil {
		return cfg, err
	}
	if v, ok := os.LookupEnv("SFCDC_CM_TOKEN"); ok {
		cfg.CommsMining.Token = uploader.Secret(v)
	}
	if problems := f.index.mergeProblems(f.problems, cfg.problems()); len(problems) > 0 {
		return cfg, problemsError(path, problems)
	}
	return cfg, nil
}

// yamlQuotedValue is how YAML decoding errors quote a value, e.g.
// "cannot unmarshal !!str `…` into int".
var yamlQuotedValue = regexp.MustCompile("`[^`]*`")

// redactYAMLError hides the values a decoding error quotes: after ${VAR}
// expansion a value may be a secret put under the wrong key.
func redactYAMLError(err error) error {
	return errors.New(yamlQuotedValue.ReplaceAllString(err.Error(), "(value hidden)"))
}
