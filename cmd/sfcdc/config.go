package main

import (
	"errors"
	"os"
	"strings"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/monitor"
	"github.com/sfcdc/sfcdc/replay"
)

// fileConfig is the configuration file every command reads: one
// integration (package integration: salesforce, commsmining, backfill,
// objects, run) and this process's own sections, the store (replay.Config)
// and monitoring (monitor.Settings). examples/sfcdc.yaml shows them all.
type fileConfig struct {
	integration.Spec `yaml:",inline"`
	Store            replay.Config    `yaml:"store"`
	Monitoring       monitor.Settings `yaml:"monitoring"`
	// path is the file it was read from, for hints that name it.
	path string
}

// Integration is the file's integration, for the environment overrides.
func (c *fileConfig) Integration() *integration.Spec { return &c.Spec }

// Problems checks the whole file: the integration and the two process
// sections, each problem naming its key.
func (c fileConfig) Problems() []string {
	problems := c.Spec.Problems()
	problems = append(problems, integration.Keyed("store.", c.Store.Validate())...)
	return append(problems, integration.Keyed("monitoring.", c.Monitoring.Validate())...)
}

// processEnv is the process's environment, the only one sfcdc reads.
func processEnv(name string) (string, bool) { return os.LookupEnv(name) }

// loadConfig reads the whole configuration (file, then environment) and
// checks it in one pass: every problem of the file in one error, one a
// line, sorted by line (exit 2).
func loadConfig(path string) (fileConfig, error) {
	if path == "" {
		return fileConfig{}, usageError{errors.New("--config is required: the file names the objects, CM and the store (see examples/sfcdc.yaml)")}
	}
	cfg, err := integration.LoadFile[fileConfig](path, processEnv)
	cfg.path = path
	return cfg, asUsage(err)
}

// readConfigFile decodes the file at path with environment references
// expanded, without validating it: only unknown keys and values of the
// wrong kind are errors, all of them in one. An empty path is an empty
// configuration.
func readConfigFile(path string) (fileConfig, error) {
	f, err := integration.DecodeFile[fileConfig](path, processEnv)
	if err != nil {
		return f.Value, asUsage(err)
	}
	return f.Value, asUsage(f.DecodingErr())
}

// readConnection reads the salesforce section of --config (when given)
// with the environment's overrides, without validating it.
func readConnection(path string) (integration.Salesforce, error) {
	cfg, err := readConfigFile(path)
	if err != nil {
		return integration.Salesforce{}, err
	}
	sf := cfg.Salesforce
	if err := integration.ApplySalesforceEnv(&sf, processEnv); err != nil {
		return integration.Salesforce{}, asUsage(err)
	}
	return sf, nil
}

// loadConnection is readConnection, validated.
func loadConnection(path string) (integration.Salesforce, error) {
	sf, err := readConnection(path)
	if err != nil {
		return integration.Salesforce{}, err
	}
	return sf, asUsage(sf.Validate())
}

// validateMonitoring checks the monitoring settings after --listen.
func validateMonitoring(m monitor.Settings) error {
	if problems := integration.Keyed("monitoring.", m.Validate()); len(problems) > 0 {
		return usageError{errors.New("invalid monitoring section (or --listen):\n  " + strings.Join(problems, "\n  "))}
	}
	return nil
}

// asUsage makes a configuration error a usage error (exit 2).
func asUsage(err error) error {
	if errors.Is(err, integration.ErrInvalid) {
		return usageError{err}
	}
	return err
}
