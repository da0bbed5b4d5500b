package main

import (
	"context"
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

type envKey struct{}

// withEnv hands env to the commands run with ctx: execute's caller gives
// it (main: os.LookupEnv), so a command reads no environment but this one.
func withEnv(ctx context.Context, env integration.Env) context.Context {
	return context.WithValue(ctx, envKey{}, env)
}

// commandEnv is the environment handed to the command running with ctx
// (withEnv), the only one sfcdc reads. A command run without execute (a
// test that builds one itself) reads the process's.
func commandEnv(ctx context.Context) integration.Env {
	if env, ok := ctx.Value(envKey{}).(integration.Env); ok && env != nil {
		return env
	}
	return os.LookupEnv
}

// loadConfig reads the whole configuration (file, then the environment of
// ctx) and checks it in one pass: every problem of the file in one error,
// one a line, sorted by line (exit 2).
func loadConfig(ctx context.Context, path string) (fileConfig, error) {
	if path == "" {
		return fileConfig{}, usageError{errors.New("--config is required: the file names the objects, CM and the store (see examples/sfcdc.yaml)")}
	}
	cfg, err := integration.LoadFile[fileConfig](path, commandEnv(ctx))
	cfg.path = path
	return cfg, asUsage(err)
}

// readConfigFile decodes the file at path with references to the
// environment of ctx expanded, without validating it: only unknown keys and values of the
// wrong kind are errors, all of them in one. An empty path is an empty
// configuration.
func readConfigFile(ctx context.Context, path string) (fileConfig, error) {
	f, err := integration.DecodeFile[fileConfig](path, commandEnv(ctx))
	if err != nil {
		return f.Value, asUsage(err)
	}
	return f.Value, asUsage(f.DecodingErr())
}

// readConnection reads the salesforce section of --config (when given)
// with the overrides of the environment of ctx, without validating it.
func readConnection(ctx context.Context, path string) (integration.Salesforce, error) {
	cfg, err := readConfigFile(ctx, path)
	if err != nil {
		return integration.Salesforce{}, err
	}
	sf := cfg.Salesforce
	if err := integration.ApplySalesforceEnv(&sf, commandEnv(ctx)); err != nil {
		return integration.Salesforce{}, asUsage(err)
	}
	return sf, nil
}

// loadConnection is readConnection, validated.
func loadConnection(ctx context.Context, path string) (integration.Salesforce, error) {
	sf, err := readConnection(ctx, path)
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
