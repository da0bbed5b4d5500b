package backfill_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
)

func TestConfigErrorsNameTheKeyAndTheFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  backfill.Config
		want []string // substrings of the error; none for a valid config
	}{
		{name: "the zero value is valid", cfg: backfill.Config{}},
		{name: "a page below Salesforce's minimum", cfg: backfill.Config{PageSize: 100}, want: []string{"page_size: 100 is outside 200–2000"}},
		{name: "a budget above everything", cfg: backfill.Config{APIBudgetPercent: 120}, want: []string{"api_budget_percent: 120", "use 0 for the default 50"}},
		{name: "a negative overlap", cfg: backfill.Config{Overlap: -time.Second}, want: []string{"overlap: -1s is negative"}},
		{name: "overlap and no_overlap together", cfg: backfill.Config{Overlap: time.Minute, NoOverlap: true}, want: []string{"no_overlap: set together with overlap"}},
		{name: "negative interval and concurrency, both reported", cfg: backfill.Config{PollInterval: -1, UploadConcurrency: -1},
			want: []string{"poll_interval:", "upload_concurrency: -1 is negative"}},
		{name: "an API that is not one of the three", cfg: backfill.Config{API: "soap"}, want: []string{`api: "soap" is not one of auto, bulk, rest`}},
		{name: "a huge API value is quoted cut", cfg: backfill.Config{API: strings.Repeat("x", 1<<20)},
			want: []string{`api: "xxxx`, "… (1048576 bytes) is not one of auto, bulk, rest"}},
		{name: "a negative Bulk threshold", cfg: backfill.Config{BulkThreshold: -5}, want: []string{"bulk_threshold: -5 is negative", "default 50000"}},
		{name: "each API is valid", cfg: backfill.Config{API: backfill.APIBulk, BulkThreshold: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
