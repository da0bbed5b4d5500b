package backfill

import (
	"errors"
	"fmt"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/salesforce"
)

// Defaults of Config.
const (
	// DefaultOverlap is how far before the watermark each query starts:
	// commits can become visible out of SystemModstamp order (a long
	// transaction stamps its rows when they are written, not when they
	// commit), and a few minutes covers Salesforce's transaction limits.
	DefaultOverlap = 5 * time.Minute
	// DefaultPageSize is the rows asked for per query page (Salesforce's
	// own default and maximum).
	DefaultPageSize = salesforce.MaxQueryBatchSize
	// DefaultAPIBudgetPercent leaves half the org's daily API allocation to
	// its other integrations.
	DefaultAPIBudgetPercent = 50
	// DefaultPollInterval is the wait between polls in follow mode.
	DefaultPollInterval = time.Minute
	// DefaultUploadConcurrency keeps one sync request in flight, so a
	// killed backfill re-sends at most that one batch.
	DefaultUploadConcurrency = 1
	// DefaultBulkThreshold is the COUNT() from which API auto reads an
	// object through a Bulk API 2.0 query job: below it the REST pages
	// cost few calls, and a job's queueing only adds latency.
	DefaultBulkThreshold = 50_000
)

// The values of Config.API.
const (
	// APIAuto reads through Bulk API 2.0 when COUNT() reaches
	// BulkThreshold and the fields allow it, else over REST.
	APIAuto = "auto"
	// APIBulk always tries Bulk API 2.0 first (REST when Salesforce
	// refuses the job or it fails).
	APIBulk = "bulk"
	// APIREST always reads over REST query pages.
	APIREST = "rest"
)

// Config tunes the backfill (the `backfill:` section of the configuration
// file). Every zero value takes the documented default.
type Config struct {
	// Overlap re-reads this much before the watermark on every query, so a
	// commit that became visible late is still seen; re-read records whose
	// comment is unchanged cost no upload. Zero: DefaultOverlap.
	Overlap time.Duration `yaml:"overlap"`
	// NoOverlap reads from the watermark exactly (ties on SystemModstamp
	// broken by Id). Only for orgs without long-running transactions.
	NoOverlap bool `yaml:"no_overlap"`
	// PageSize is the rows per query page, 200–2,000 (Salesforce may send
	// fewer). Zero: DefaultPageSize.
	PageSize int `yaml:"page_size"`
	// APIBudgetPercent stops the backfill cleanly once the org's daily API
	// usage (Sforce-Limit-Info) reaches this share of its allocation,
	// 1–100. Zero: DefaultAPIBudgetPercent.
	APIBudgetPercent int `yaml:"api_budget_percent"`
	// PollInterval is the wait between polls in follow mode. Zero:
	// DefaultPollInterval.
	PollInterval time.Duration `yaml:"poll_interval"`
	// UploadConcurrency caps sync requests in flight. A kill re-sends at
	// most this many batches. Zero: DefaultUploadConcurrency.
	UploadConcurrency int `yaml:"upload_concurrency"`
	// BulkThreshold is the COUNT() from which API auto uses a Bulk API
	// 2.0 query job. Zero: DefaultBulkThreshold.
	BulkThreshold int `yaml:"bulk_threshold"`
	// API chooses how records are read: auto, bulk or rest. Empty: auto.
	API string `yaml:"api"`
	// BulkMaxRecords caps the records of one Bulk results page
	// (maxRecords). A stop re-sends at most one page, so smaller pages
	// re-send less and cost more requests. Zero: Salesforce chooses.
	BulkMaxRecords int `yaml:"bulk_max_records"`
}

// Validate reports every problem at once; each names the key and the fix.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if c.Overlap < 0 {
		bad("overlap: %s is negative; use a duration such as 5m, or set no_overlap", c.Overlap)
	}
	if c.NoOverlap && c.Overlap > 0 {
		bad("no_overlap: set together with overlap %s; keep one of them", c.Overlap)
	}
	if c.PageSize != 0 && (c.PageSize < salesforce.MinQueryBatchSize || c.PageSize > salesforce.MaxQueryBatchSize) {
		bad("page_size: %d is outside %d–%d; use 0 for the default %d", c.PageSize,
			salesforce.MinQueryBatchSize, salesforce.MaxQueryBatchSize, DefaultPageSize)
	}
	if c.APIBudgetPercent < 0 || c.APIBudgetPercent > 100 {
		bad("api_budget_percent: %d is outside 1–100; use 0 for the default %d", c.APIBudgetPercent, DefaultAPIBudgetPercent)
	}
	if c.PollInterval < 0 {
		bad("poll_interval: %s is negative; use a duration such as 1m, or 0 for the default", c.PollInterval)
	}
	if c.UploadConcurrency < 0 {
		bad("upload_concurrency: %d is negative; use 0 for the default %d", c.UploadConcurrency, DefaultUploadConcurrency)
	}
	if c.BulkThreshold < 0 {
		bad("bulk_threshold: %d is negative; use a record count, or 0 for the default %d", c.BulkThreshold, DefaultBulkThreshold)
	}
	if c.BulkMaxRecords < 0 {
		bad("bulk_max_records: %d is negative; use a page size, or 0 to let Salesforce choose", c.BulkMaxRecords)
	}
	if err := ValidateAPI(c.API); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ValidateAPI checks a value of the api key (or the --api flag).
func ValidateAPI(api string) error {
	switch api {
	case "", APIAuto, APIBulk, APIREST:
		return nil
	}
	return fmt.Errorf("api: %s is not one of auto, bulk, rest; use auto to let the record count decide", quote.Value(api))
}

// withDefaults fills the documented zero values.
func (c Config) withDefaults() Config {
	if c.Overlap == 0 && !c.NoOverlap {
		c.Overlap = DefaultOverlap
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.APIBudgetPercent == 0 {
		c.APIBudgetPercent = DefaultAPIBudgetPercent
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.UploadConcurrency == 0 {
		c.UploadConcurrency = DefaultUploadConcurrency
	}
	if c.BulkThreshold == 0 {
		c.BulkThreshold = DefaultBulkThreshold
	}
	if c.API == "" {
		c.API = APIAuto
	}
	return c
}
