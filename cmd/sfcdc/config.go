package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
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
// and a "$" that starts no ${VAR} stays as written. The environment also overrides the
// salesforce keys (SFCDC_ACCESS_TOKEN, SFCDC_INSTANCE_URL, …) and
// commsmining.token (SFCDC_CM_TOKEN).

// readConfigFile decodes the file at path with environment references
// expanded; unknown keys are errors. An empty path is an empty
// configuration.
func readConfigFile(path string) (fileConfig, error) {
	var cfg fileConfig
	if path == "" {
		return cfg, nil
	}
	raw, err := readBounded(path, maxConfigBytes)
	if err != nil {
		return cfg, usageError{err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return cfg, usageError{fmt.Errorf("parse config file %s: %w", path, redactYAMLError(err))}
	}
	if doc.Kind == 0 {
		return cfg, nil // an empty file
	}
	if err := refuseUnknownKeys(raw); err != nil {
		return cfg, usageError{fmt.Errorf("parse config file %s: %w", path, err)}
	}
	if err := expandEnvReferences(&doc, maxConfigBytes); err != nil {
		return cfg, usageError{fmt.Errorf("expand config file %s: %w", path, err)}
	}
	if err := doc.Decode(&cfg); err != nil {
		return cfg, usageError{fmt.Errorf("parse config file %s: %w", path, redactYAMLError(err))}
	}
	return cfg, nil
}

// configEnvReference is a ${NAME} reference to an environment variable.
var configEnvReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnvReferences replaces ${NAME} in every scalar value of the parsed
// document by the variable's value (empty when unset). It works on the
// parsed values, not on the file's text, so a value is taken verbatim: a
// secret holding "#", ": " or quotes cannot change the YAML around it, and
// a "$" not followed by "{NAME}" (as in a password written in the file)
// stays as it is. The values it puts in may add up to budget bytes: the
// file's size limit would mean little if a reference repeated in it could
// make the configuration gigabytes long.
func expandEnvReferences(n *yaml.Node, budget int) error {
	_, err := expandWithin(n, budget)
	return err
}

// expandWithin is expandEnvReferences returning the budget left.
func expandWithin(n *yaml.Node, budget int) (int, error) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		for _, ref := range configEnvReference.FindAllStringSubmatch(n.Value, -1) {
			if budget -= len(os.Getenv(ref[1])); budget < 0 {
				return 0, fmt.Errorf("line %d: the ${VAR} values add up to more than %s; a configuration value needs far less: check the variables referenced", n.Line, sizeLimitText(maxConfigBytes))
			}
		}
		n.Value = configEnvReference.ReplaceAllStringFunc(n.Value, func(ref string) string {
			return os.Getenv(ref[2 : len(ref)-1])
		})
	}
	for _, child := range n.Content {
		var err error
		if budget, err = expandWithin(child, budget); err != nil {
			return 0, err
		}
	}
	return budget, nil
}

// refuseUnknownKeys decodes the file as written with unknown keys refused
// and reports only those: a misspelt key must be named with its line,
// while a ${NAME} standing in a typed value (a duration, a number) is
// judged after expansion.
func refuseUnknownKeys(raw []byte) error {
	var probe fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(&probe)
	var typeErr *yaml.TypeError
	if err == nil || errors.Is(err, io.EOF) || !errors.As(err, &typeErr) {
		return nil // a syntax error was reported by the first parse
	}
	var unknown []string
	for _, e := range typeErr.Errors {
		if strings.Contains(e, " not found in type ") {
			unknown = append(unknown, e)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return redactYAMLError(&yaml.TypeError{Errors: unknown})
}

// loadConfig reads the whole configuration (file, then environment) and
// validates it in one pass.
func loadConfig(path string) (fileConfig, error) {
	if path == "" {
		return fileConfig{}, usageError{errors.New("--config is required: the file names the objects, CM and the store (see examples/sfcdc.yaml)")}
	}
	cfg, err := readConfigFile(path)
	if err != nil {
		return cfg, err
	}
	if err := applyConnectionEnv(&cfg.Salesforce); err != nil {
		return cfg, err
	}
	if v, ok := os.LookupEnv("SFCDC_CM_TOKEN"); ok {
		cfg.CommsMining.Token = uploader.Secret(v)
	}
	if err := cfg.validate(); err != nil {
		return cfg, usageError{fmt.Errorf("invalid configuration in %s:\n  %w", path, err)}
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
