package commsmining_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// Start a simulator with one source, send a comment, and read the meter.
// `sfcdc sim` does the same with a fixed Addr and prints URL and Token.
func ExampleStart() {
	sim, err := commsmining.Start(commsmining.Options{Token: "demo-token", Sources: []string{"sfcdc/salesforce"}})
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	body := `{"comments":[{"id":"sf.Case.1","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"Hello"}}]}]}`
	req, _ := http.NewRequest("POST", sim.URL()+"/api/v1/sources/sfcdc/salesforce/sync", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sim.Token())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	st := sim.Stats()
	fmt.Println(resp.StatusCode, st.New, st.BillableUnits)
	// Output: 200 1 1
}
