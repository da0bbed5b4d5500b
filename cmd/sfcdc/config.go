package main

import (
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
// ${VAR} and $VAR are replaced by environment variables before parsing,
// so secrets can stay out of the file. The environment also overrides the
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
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, usageError{fmt.Errorf("read config file: %w", err)}
	}
	dec := yaml.NewDecoder(strings.NewReader(os.ExpandEnv(string(raw))))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return cfg, usageError{fmt.Errorf("parse config file %s: %w", path, redactYAMLError(err))}
	}
	return cfg, nil
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
