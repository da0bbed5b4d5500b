package salesforce_test

import (
	"sync"
	"testing"

	"github.com/sfcdc/sfcdc/salesforce"
)

// Where no opener can start (no display on Linux, none on PATH anywhere),
// OpenBrowser says it did not open one, so the login only prints the URL,
// and leaves nothing for the caller to wait for.
func TestOpenBrowserReportsThatNoBrowserOpened(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var wg sync.WaitGroup
	for _, display := range []bool{false, true} {
		if salesforce.OpenBrowser("https://login.example.com/authorize", display, &wg) {
			t.Fatalf("display %v: OpenBrowser says a browser opened with no opener on PATH", display)
		}
	}
	wg.Wait() // nothing was started: returns at once
}
