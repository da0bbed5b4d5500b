package salesforce

import (
	"errors"
	"log/slog"
	"net/url"
	"testing"

	sfclient "github.com/sfcdc/sfcdc/salesforce"
)

// TestWorldOrgsWorkWithTheProjectsRESTClient: sfcdc's own client logs in
// to org 2 through the shared login host (client credentials), accepts
// org 2's instance URL once it is a trusted host (an IP literal is trusted
// only exactly), and its queries there see org 2's records only. Without
// the trusted host it refuses the instance URL, as it refuses any host it
// was not told about.
func TestWorldOrgsWorkWithTheProjectsRESTClient(t *testing.T) {
	t.Parallel()
	w := startTestWorld(t, 2)
	second := w.Orgs[1]
	for i, s := range w.Orgs {
		if _, err := s.Org.Create("Case", Values{"Subject": "Case of org " + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	instance, err := url.Parse(second.InstanceURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sfclient.Config{
		Flow:         sfclient.FlowClientCredentials,
		LoginURL:     w.LoginURL,
		ClientID:     second.REST.App().ClientID,
		ClientSecret: sfclient.Secret(second.REST.App().ClientSecret),
		CAFile:       w.PubSub.CAFile(),
		Logger:       slog.New(slog.DiscardHandler),
	}

	untrusting, err := sfclient.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	if _, err := untrusting.Current(t.Context()); !errors.Is(err, sfclient.ErrUntrustedURL) {
		t.Fatalf("login without the trusted host: %v, want ErrUntrustedURL", err)
	}

	cfg.TrustedHosts = []string{instance.Host}
	creds, err := sfclient.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	sess, err := creds.Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sess.InstanceURL != second.InstanceURL || sess.TenantID != second.Org.ID() {
		t.Fatalf("session at %s of org %s, want %s of %s", sess.InstanceURL, sess.TenantID, second.InstanceURL, second.Org.ID())
	}
	client, err := sfclient.NewClient(cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for rec, err := range client.Query(t.Context(), "SELECT Id, Subject FROM Case", sfclient.QueryOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := rec["Subject"].(string)
		subjects = append(subjects, subject)
	}
	if len(subjects) != 1 || subjects[0] != "Case of org 2" {
		t.Errorf("org 2's cases through the client: %q, want only \"Case of org 2\"", subjects)
	}
}
