package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestFollowPollsCaseCommentsUntilASignalAndExitsCleanly(t *testing.T) {
	b := startSimProcess(t, "--rate", "0", "--seed-records", "250", "--seed-object", "CaseComment")
	config := backfillConfig(t, b, redisKeyPrefix(t), "  - object: CaseComment\nbackfill:\n  poll_interval: 50ms\n")
	follow := exec.Command(sfcdcBinary, "backfill", "--config", config, "--object", "CaseComment", "--follow")
	follow.Env = backfillEnv(b)
	var stdout, stderr syncBuffer
	follow.Stdout, follow.Stderr = &stdout, &stderr
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = follow.Wait(); close(exited) }()
	waitFor(t, follow, exited, "all 250 case comments in CM", func() bool { return simStats(t, b).New == 250 })
	waitFor(t, follow, exited, "a second poll", func() bool { return strings.Count(stderr.String(), "waiting for the next poll") >= 2 })
	if err := follow.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-exited
	if code := follow.ProcessState.ExitCode(); code != 0 || !strings.Contains(stdout.String(), "CaseComment: ") {
		t.Fatalf("follow ended with exit %d, want 0 and a summary:\n%s%s", code, stdout.String(), stderr.String())
	}
}
