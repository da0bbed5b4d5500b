package commsmining

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A real CM takes longer over a sync the more comments it carries (its
// documentation warns that large sync requests are slow and clients must
// allow for it). With SyncTimePerComment the simulator does the same: it
// applies the comments, then holds the answer for their time, so a client
// that gives up first has its comments stored all the same.
func TestASyncAnswersAfterATimeProportionalToItsComments(t *testing.T) {
	const perComment = 50 * time.Millisecond
	s := startSim(t, Options{SyncTimePerComment: perComment})
	c := newClient(t, s)

	many := make([]map[string]any, 40) // 2 s of work
	for i := range many {
		many[i] = comment(fmt.Sprintf("c%d", i), "x")
	}
	body, err := json.Marshal(map[string]any{"comments": many})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", s.URL()+"/api/v1/sources/"+project+"/"+source+"/sync", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token())
	impatient := &http.Client{Transport: c.http.Transport, Timeout: time.Second}
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("40 comments at %v each were answered (%d) within a 1 s timeout", perComment, resp.StatusCode)
	}
	if got := len(s.Comments(project, source)); got != 40 {
		t.Errorf("%d comments stored after the client gave up, want all 40 (applied before the answer)", got)
	}

	start := time.Now()
	wantOK(t, c.sync(many[0]), 0, 0, 1) // one comment's time is well within the same timeout
	if elapsed := time.Since(start); elapsed < perComment {
		t.Errorf("a sync of one comment was answered in %v, before its %v", elapsed, perComment)
	}
}
