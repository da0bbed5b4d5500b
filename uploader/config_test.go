package uploader

import (
	"strings"
	"testing"
)

func TestConfigValidationNamesTheKeyAndTheFix(t *testing.T) {
	t.Parallel()
	// huge is a value 64 times longer than the 1,000 bytes an error may
	// have and than the 1,024 bytes a project name may have: enough to
	// prove it is quoted cut. It was 50 MB, which cost 9 s under -race,
	// nearly all of it the name pattern's regexp scanning the project
	// before its length is checked (measured alone under -race: 15 s for
	// 50 MB, 10 ms for these 64 KiB), which the test is not about.
	const huge = 64 << 10
	valid := Config{BaseURL: "https://acme.reinfer.io", Token: "t", Project: "sfcdc", Source: "salesforce"}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"a base URL is required", func(c *Config) { c.BaseURL = "" }, []string{"base_url: required", "reinfer.io"}},
		{"plain http is refused off loopback", func(c *Config) { c.BaseURL = "http://acme.reinfer.io" }, []string{"base_url", "use https"}},
		{"credentials in the URL are refused", func(c *Config) { c.BaseURL = "https://u:p@acme.reinfer.io" }, []string{"base_url", "put the token in token"}},
		{"a query is refused", func(c *Config) { c.BaseURL = "https://acme.reinfer.io/?x=1" }, []string{"base_url", "API root only"}},
		{"a relative URL is refused", func(c *Config) { c.BaseURL = "acme.reinfer.io" }, []string{"base_url", "absolute"}},
		{"a token is required", func(c *Config) { c.Token = "" }, []string{"token: required"}},
		{"a Bearer prefix is refused", func(c *Config) { c.Token = "Bearer abc" }, []string{"token", "without \"Bearer\""}},
		{"the project must be a CM name", func(c *Config) { c.Project = "a/b" }, []string{"project", "A-Z a-z 0-9 _ . -"}},
		{"the source must be a CM name", func(c *Config) { c.Source = "a.b" }, []string{"source", "A-Z a-z 0-9 _ -"}},
		{"a 64 KiB project is quoted cut", func(c *Config) { c.Project = strings.Repeat("p", huge) }, []string{`project: "pppp`, `p"… (65536 bytes) is not a CM project name`}},
		{"a 64 KiB source is quoted cut", func(c *Config) { c.Source = strings.Repeat("s", huge) }, []string{`source: "ssss`, "… (65536 bytes)"}},
		{"a 64 KiB base URL is quoted cut", func(c *Config) { c.BaseURL = strings.Repeat("%", huge) }, []string{"base_url", "… (65536 bytes) is not an absolute URL"}},
		{"batches are at most 16384", func(c *Config) { c.MaxBatchComments = 20000 }, []string{"max_batch_comments", "1-16384"}},
		{"counts are not negative", func(c *Config) { c.MaxConcurrentRequests = -1 }, []string{"max_concurrent_requests", "negative"}},
		{"durations are not negative", func(c *Config) { c.RequestTimeout = -1 }, []string{"request_timeout", "negative"}},
		{"the slow-request threshold is not negative", func(c *Config) { c.SlowRequestAfter = -1 }, []string{"slow_request_after", "negative"}},
		{"the backoff cap is above the start", func(c *Config) { c.InitialBackoff, c.MaxBackoff = 10, 5 }, []string{"max_backoff", "raise it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted an invalid configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %.2000q does not mention %q", err, w)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the error has %d bytes; values must be quoted cut", len(err.Error()))
			}
		})
	}
	if err := valid.Validate(); err != nil {
		t.Errorf("a valid configuration was refused: %v", err)
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1/x", "http://[::1]:9", "https://cloud.uipath.com/org/tenant/reinfer_"} {
		c := valid
		c.BaseURL = u
		if err := c.Validate(); err != nil {
			t.Errorf("base URL %s refused: %v", u, err)
		}
	}
}
