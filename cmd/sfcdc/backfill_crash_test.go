package main

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
)

// TestABackfillCrashedAtEachCommitPointResumesWithNothingLostAndAtMostOneBatchResent
// crashes a binary built with failpoints exactly where it hurts most (F1 of
// the reliability catalogue): right after CM accepted a batch whose hashes
// are not saved yet, and right before a watermark write.
func TestABackfillCrashedAtEachCommitPointResumesWithNothingLostAndAtMostOneBatchResent(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	if testing.Short() {
		t.Skip("builds a failpoint binary: skipped with -short")
	}
	crashing := failpointBinary(t)
	const n, batch = 5000, 1024
	for _, point := range []string{"save-hashes:3", "save-watermark:2"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
			b := startSimProcess(t, "--rate", "0", "--seed-records", strconv.Itoa(n))
			config := backfillConfig(t, b, redisKeyPrefix(t), "")
			crash := exec.Command(crashing, "backfill", "--config", config)
			crash.Env = append(backfillEnv(b), "SFCDC_FAILPOINT="+point)
			out, err := crash.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
				t.Fatalf("the failpoint did not kill the backfill: %v\n%s", err, out)
			}
			atCrash := simStats(t, b)

			r := runSfcdc(t, backfillEnv(b), "backfill", "--config", config)
			if r.code != 0 {
				t.Fatalf("the restarted backfill exited %d:\n%s", r.code, r.output())
			}
			got := cmCommentIDs(t, b)
			for _, id := range sfRecordIDs(t, b, "EmailMessage") {
				if !got[mapper.CommentID("EmailMessage", id)] {
					t.Fatalf("record %s has no comment", id)
				}
			}
			st := simStats(t, b)
			if len(got) != n || st.New != n || st.Unchanged > batch {
				t.Fatalf("CM holds %d comments, %d new, %d re-sent (%d received at the crash); want %d, %d, at most %d",
					len(got), st.New, st.Unchanged, atCrash.CommentsReceived, n, n, batch)
			}
			t.Logf("crashed after %d comments; %d re-sent", atCrash.CommentsReceived, st.Unchanged)
		})
	}
}
