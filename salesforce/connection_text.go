package salesforce

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteConnection writes what a session of flow connects with, one fact a
// line (`sfcdc auth status`): flow, login URL, org, user, instance, where
// the refresh token is kept (web_server: store, and when it was saved) and
// that the session is valid. Never a token.
func WriteConnection(ctx context.Context, out io.Writer, flow Flow, id Identity, store TokenStore) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "flow:\t%s\n", flow)
	fmt.Fprintf(w, "login url:\t%s\n", id.LoginURL)
	fmt.Fprintf(w, "org:\t%s\n", id.OrgID)
	fmt.Fprintf(w, "user:\t%s (%s)\n", id.Username, id.UserID)
	fmt.Fprintf(w, "instance:\t%s\n", id.InstanceURL)
	if flow == FlowWebServer {
		saved := ""
		if t, err := store.Load(ctx); err == nil && !t.SavedAt.IsZero() {
			saved = " (saved " + t.SavedAt.Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(w, "refresh token:\tstored in %s%s\n", store, saved)
	} else {
		fmt.Fprintf(w, "refresh token:\tnone (%s mints each session anew)\n", flow)
	}
	fmt.Fprintf(w, "session:\tvalid (Salesforce answered userinfo)\n")
	return w.Flush()
}
