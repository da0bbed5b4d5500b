package salesforce_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
)

func TestWriteConnectionShowsTheFactsAndWhereTheTokenIsNeverItsValue(t *testing.T) {
	id := salesforce.Identity{LoginURL: "https://login.example.com", InstanceURL: "https://org.example.com",
		OrgID: "00D000000000001AAA", UserID: "005000000000001AAA", Username: "ops@example.com"}
	store := salesforce.FileTokenStore{Path: filepath.Join(t.TempDir(), "token.json")}
	saved := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := store.Save(t.Context(), salesforce.StoredToken{Flow: salesforce.FlowWebServer, RefreshToken: "5Aep861-refresh-secret",
		InstanceURL: id.InstanceURL, SavedAt: saved}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := salesforce.WriteConnection(t.Context(), &out, salesforce.FlowWebServer, id, store); err != nil {
		t.Fatal(err)
	}
	want := "flow:           web_server\n" +
		"login url:      https://login.example.com\n" +
		"org:            00D000000000001AAA\n" +
		"user:           ops@example.com (005000000000001AAA)\n" +
		"instance:       https://org.example.com\n" +
		"refresh token:  stored in file " + store.Path + " (saved 2026-05-01T12:00:00Z)\n" +
		"session:        valid (Salesforce answered userinfo)\n"
	if out.String() != want {
		t.Fatalf("connection:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := salesforce.WriteConnection(t.Context(), &out, salesforce.FlowJWTBearer, id, store); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "refresh token:  none (jwt_bearer mints each session anew)\n") || strings.Contains(out.String(), "refresh-secret") {
		t.Fatalf("jwt_bearer connection:\n%s", out.String())
	}
}
