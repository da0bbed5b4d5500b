package salesforce_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

func jwtConfig(s *sfsim.Sim, keyPath string) salesforce.Config {
	cfg := baseConfig(s, salesforce.FlowJWTBearer, nil)
	cfg.ClientSecret = ""
	cfg.PrivateKeyFile = keyPath
	cfg.Username = s.REST.App().Username
	return cfg
}

func TestTheJWTBearerFlowYieldsASessionForTheOrg(t *testing.T) {
	t.Parallel()
	keyPath, cert, _ := rsaKeyFiles(t)
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{JWTCertificate: cert}})
	creds, err := salesforce.NewCredentials(jwtConfig(s, keyPath), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	sess, err := creds.Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sess.TenantID != s.Org.ID() || sess.InstanceURL != s.InstanceURL || !s.Tokens.Valid(sess.AccessToken) {
		t.Fatalf("session %v is not a valid session of the org", sess)
	}
	if n := s.REST.GrantCounts()[sfsim.GrantJWTBearer]; n != 1 {
		t.Fatalf("%d JWT grants, want 1", n)
	}
}

func TestJWTBearerFailuresAreTypedAndExplained(t *testing.T) {
	t.Parallel()
	keyPath, cert, _ := rsaKeyFiles(t)
	otherKey, _, _ := rsaKeyFiles(t)
	clock := newStepClock()
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{JWTCertificate: cert}, clock: clock})
	cases := []struct {
		name   string
		adjust func(*salesforce.Config)
		want   string
	}{
		{"a user who has not approved the app is refused", func(c *salesforce.Config) { c.Username = "someone@else.example" }, "approved"},
		{"an assertion signed by another key is refused", func(c *salesforce.Config) { c.PrivateKeyFile = otherKey }, "invalid assertion"},
		{"an expired assertion is refused", func(c *salesforce.Config) { c.Clock = pastClock{clock, -10 * time.Minute} }, "expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jwtConfig(s, keyPath)
			tc.adjust(&cfg)
			creds, err := salesforce.NewCredentials(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer creds.Close()
			_, err = creds.Current(t.Context())
			if !errors.Is(err, salesforce.ErrInvalidGrant) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want invalid_grant mentioning %q", err, tc.want)
			}
		})
	}
}

// pastClock is a clock running behind another by a fixed offset.
type pastClock struct {
	base   *stepClock
	offset time.Duration
}

func (c pastClock) Now() time.Time { return c.base.Now().Add(c.offset) }

func TestAPrivateKeyOthersCanReadIsRefused(t *testing.T) {
	t.Parallel()
	keyPath, cert, _ := rsaKeyFiles(t)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSim(t, simOptions{app: sfsim.ConnectedApp{JWTCertificate: cert}})
	_, err := salesforce.NewCredentials(jwtConfig(s, keyPath), nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("got %v, want the key refused with the fix", err)
	}
}

func TestTheClientCredentialsFlowYieldsASessionForTheOrg(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	sess, err := clientCredentials(t, s, nil).Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sess.TenantID != s.Org.ID() || !s.Tokens.Valid(sess.AccessToken) {
		t.Fatalf("session %v", sess)
	}
}

func TestClientCredentialsFailuresAreTyped(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	wrong := baseConfig(s, salesforce.FlowClientCredentials, nil)
	wrong.ClientSecret = "not-the-secret"
	creds, err := salesforce.NewCredentials(wrong, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	if _, err := creds.Current(t.Context()); !errors.Is(err, salesforce.ErrInvalidClient) {
		t.Fatalf("a wrong secret gave %v, want ErrInvalidClient", err)
	}

	off := startSim(t, simOptions{app: sfsim.ConnectedApp{DisableClientCredentials: true}})
	creds2, err := salesforce.NewCredentials(baseConfig(off, salesforce.FlowClientCredentials, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds2.Close()
	if _, err := creds2.Current(t.Context()); !errors.Is(err, salesforce.ErrInvalidGrant) {
		t.Fatalf("a disabled flow gave %v, want ErrInvalidGrant", err)
	}
}

func TestTheStatusIdentityNamesOrgUserAndInstance(t *testing.T) {
	t.Parallel()
	s := startSim(t, simOptions{})
	id, err := clientCredentials(t, s, nil).Identity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := salesforce.Identity{Flow: salesforce.FlowClientCredentials, LoginURL: s.LoginURL, InstanceURL: s.InstanceURL,
		OrgID: s.Org.ID(), UserID: s.Org.UserID(), Username: s.REST.App().Username}
	if id != want {
		t.Fatalf("identity %+v, want %+v", id, want)
	}
}

func TestAPlaintextSimulatorOnLoopbackWorksWithoutACA(t *testing.T) {
	t.Parallel()
	s, err := sfsim.Start(sfsim.SimConfig{Org: sfsim.Config{Seed: 5}, PubSub: sfsim.PubSubConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.LoginURL, "http://127.0.0.1:") {
		t.Fatalf("login URL %s, want plain http on loopback", s.LoginURL)
	}
	cfg := baseConfig(s, salesforce.FlowClientCredentials, nil)
	cfg.CAFile = ""
	creds, err := salesforce.NewCredentials(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	if _, err := creds.Identity(t.Context()); err != nil {
		t.Fatal(err)
	}
}
