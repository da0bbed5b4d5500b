package main

import (
	"strings"
	"testing"
)

func TestFollowPollsCaseCommentsUntilASignalAndExitsCleanly(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0", "--seed-records", "250", "--seed-object", "CaseComment")
	config := backfillConfig(t, b, redisKeyPrefix(t), "  - object: CaseComment\nbackfill:\n  poll_interval: 50ms\n")
	follow := startInProcess(t, backfillEnv(b), "backfill", "--config", config, "--object", "CaseComment", "--follow")
	follow.await(t, "all 250 case comments in CM", func() bool { return simStats(t, b).New == 250 })
	follow.await(t, "a second poll", func() bool { return strings.Count(follow.stderr.String(), "waiting for the next poll") >= 2 })
	// Cancelling the context is what SIGINT does to the binary.
	if code := follow.stop(); code != 0 || !strings.Contains(follow.stdout.String(), "CaseComment: ") {
		t.Fatalf("follow ended with exit %d, want 0 and a summary:\n%s", code, follow.output())
	}
}
