package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
)

// A Bulk backfill SIGKILLed in the middle of its job's results (right
// after CM accepted a batch whose hashes are not saved yet, and right
// before a watermark write) resumes the same job from the locator stored
// with its watermark: nothing is lost, at most one results page is sent
// again, and no second job is created (the job is stored when created).
func TestABulkBackfillKilledInItsResultsResumesTheSameJobFromItsLocator(t *testing.T) {
	t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
	if testing.Short() {
		t.Skip("builds a failpoint binary: skipped with -short")
	}
	crashing := failpointBinary(t)
	const n, page = 3000, 500
	for _, point := range []string{"save-hashes:3", "save-watermark:3"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel() // its own simulator process, Redis key prefix and sfcdc processes
			b := startSimProcess(t, "--rate", "0", "--seed-records", strconv.Itoa(n))
			config := backfillConfig(t, b, redisKeyPrefix(t), "backfill:\n  bulk_threshold: 1000\n  bulk_max_records: "+strconv.Itoa(page)+"\n")
			crash := exec.Command(crashing, "backfill", "--config", config)
			crash.Env = append(backfillEnv(b), "SFCDC_FAILPOINT="+point)
			out, err := crash.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
				t.Fatalf("the failpoint did not kill the backfill: %v\n%s", err, out)
			}
			atCrash := simStats(t, b)
			if atCrash.New == 0 || atCrash.New >= n {
				t.Fatalf("the crash came after %d of %d comments; want it in the middle of the results", atCrash.New, n)
			}

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
			if len(got) != n || st.New != n || st.Unchanged > page {
				t.Fatalf("CM holds %d comments, %d new, %d re-sent (%d received at the crash); want %d, %d, at most one page of %d",
					len(got), st.New, st.Unchanged, atCrash.CommentsReceived, n, n, page)
			}
			// The job is stored as soon as it is created, so even a crash
			// inside its first page (the third hash save lands there when
			// the uploader's batches are small, as under load) resumes it.
			if jobs := bulkJobsUsed(t, b); jobs != 1 {
				t.Errorf("the org ran %d Bulk query jobs after a crash with %d comments accepted; want the one resumed", jobs, atCrash.New)
			}
			t.Logf("crashed after %d comments; %d re-sent", atCrash.CommentsReceived, st.Unchanged)
		})
	}
}

// bulkJobsUsed is the Bulk query jobs the simulated org counted today,
// from its /limits resource.
func bulkJobsUsed(t *testing.T, b simBanner) int {
	t.Helper()
	pem, err := os.ReadFile(b.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	req, err := http.NewRequest(http.MethodGet, b.InstanceURL+"/services/data/v62.0/limits", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.AccessToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var limits map[string]struct{ Max, Remaining int }
	if err := json.NewDecoder(resp.Body).Decode(&limits); err != nil {
		t.Fatalf("read /limits: %v", err)
	}
	jobs, ok := limits["DailyBulkV2QueryJobs"]
	if !ok {
		t.Fatalf("/limits has no DailyBulkV2QueryJobs: %v", limits)
	}
	return jobs.Max - jobs.Remaining
}
