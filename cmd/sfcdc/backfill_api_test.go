package main

import (
	"strings"
	"testing"
)

func TestTheBackfillApiFlagChoosesTheReadAndTheDryRunSaysWhy(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "300")
	config := backfillConfig(t, b, redisKeyPrefix(t), "backfill:\n  bulk_threshold: 100\n")
	env := backfillEnv(b)

	bad := runInProcess(t, env, "backfill", "--config", config, "--api", "soap")
	if bad.code != 2 || !strings.Contains(bad.stderr, `--api: "soap" is not one of auto, bulk, rest`) {
		t.Fatalf("--api soap exited %d, want 2 naming the choices:\n%s", bad.code, bad.output())
	}
	dry := runInProcess(t, env, "backfill", "--config", config, "--dry-run")
	if dry.code != 0 || !strings.Contains(dry.stdout, "would read over Bulk API 2.0 (300 records, at or above bulk_threshold 100)") ||
		!strings.Contains(dry.stdout, "for 300 records: REST 2, Bulk API 2.0 9") {
		t.Fatalf("the dry run (exit %d) does not show the Bulk choice and the request estimates:\n%s", dry.code, dry.output())
	}
	dryREST := runInProcess(t, env, "backfill", "--config", config, "--dry-run", "--api", "rest")
	if !strings.Contains(dryREST.stdout, "would read over REST (api is rest)") {
		t.Fatalf("--api rest does not override the threshold:\n%s", dryREST.output())
	}
	run := runInProcess(t, env, "backfill", "--config", config)
	if run.code != 0 || !strings.Contains(run.stderr, "is JobComplete") {
		t.Fatalf("the run (exit %d) reports no completed Bulk job:\n%s", run.code, run.output())
	}
	if st := simStats(t, b); st.New != 300 {
		t.Fatalf("CM holds %d new comments, want 300", st.New)
	}
}
