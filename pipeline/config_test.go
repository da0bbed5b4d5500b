package pipeline

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidateNamesEveryBadKey(t *testing.T) {
	t.Parallel()
	good := Config{Org: "00D000000000001AAA", Topic: "/data/CaseChangeEvent", Holder: "host-1"}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"a minimal config is valid", func(*Config) {}, ""},
		{"latest is a valid start", func(c *Config) { c.Start = StartLatest }, ""},
		{"org is required", func(c *Config) { c.Org = "" }, "org:"},
		{"topic is required", func(c *Config) { c.Topic = "" }, "topic:"},
		{"holder is required", func(c *Config) { c.Holder = "" }, "holder:"},
		{"start must be known", func(c *Config) { c.Start = "LATEST!" }, "start:"},
		{"durations must not be negative", func(c *Config) { c.FetchLinger = -time.Second }, "fetch_linger:"},
		{"sizes must not be negative", func(c *Config) { c.FetchMaxIDs = -1 }, "fetch_max_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestTheZeroStartIsEarliestNeverLatest(t *testing.T) {
	t.Parallel()
	c := Config{}.withDefaults()
	if c.Start != StartEarliest {
		t.Fatalf("default start = %q, want %q", c.Start, StartEarliest)
	}
}
