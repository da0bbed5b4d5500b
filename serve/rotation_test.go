package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// The acceptance runs 20 integrations for 5 minutes
// (`go test ./serve -run RotatingGrants -rotation-integrations 20 -rotation-for 5m`);
// the suite's default keeps it to seconds.
var (
	rotationIntegrations = flag.Int("rotation-integrations", 4, "hosted integrations (one simulated org each) in TestRotatingGrants…")
	rotationFor          = flag.Duration("rotation-for", 6*time.Second, "how long TestRotatingGrants… serves traffic")
)

// Hosted integrations on connected apps that rotate refresh tokens, whose
// access tokens die after 2 s without a call (so every stream is cut as
// UNAUTHENTICATED every few seconds and its session refreshed), served by
// three instances sharing each grant: many refreshes, none with a
// rotated-out token (no grant revoked, none needs re-authorisation), and
// every case created meanwhile reaches its CM source.
func TestRotatingGrantsSharedByThreeInstancesAreNeverLost(t *testing.T) {
	t.Parallel()
	n := *rotationIntegrations
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: n, PubSub: sfsim.PubSubConfig{Insecure: true, Keepalive: 500 * time.Millisecond},
		Org:  func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(700 + i)} },
		REST: sfsim.RESTConfig{App: sfsim.ConnectedApp{RotateRefreshTokens: true, AutoApprove: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(world.Close)
	cm, err := commsmining.Start(commsmining.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cm.Close() })
	store, _, _ := simworld.NewRedisStore(t)
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	vault := custody.NewVault(store, keys)
	var hosts []string
	for _, org := range world.Orgs {
		u, _ := url.Parse(org.InstanceURL)
		hosts = append(hosts, u.Host)
	}
	var specs []integration.Spec
	noRedirects := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, org := range world.Orgs {
		source := fmt.Sprintf("org-%02d", i)
		cm.CreateSource("acme", source)
		app := org.REST.App()
		name := "acme/" + source
		refresh, access := simworld.CodeGrant(t, noRedirects, world.LoginURL, app)
		if _, err := vault.Save(t.Context(), name, custody.Grant{RefreshToken: salesforce.Secret(refresh), AccessToken: salesforce.Secret(access),
			InstanceURL: org.InstanceURL, OrgID: org.Org.ID(), LoginURL: world.LoginURL}); err != nil {
			t.Fatal(err)
		}
		org.Tokens.SetIdleTimeout(2 * time.Second)
		specs = append(specs, integration.Spec{
			Name: name,
			Salesforce: integration.Salesforce{PubSubEndpoint: world.PubSub.Addr(), Insecure: true,
				Auth: integration.Auth{Flow: "web_server", LoginURL: world.LoginURL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
					TrustedHosts: hosts}},
			CommsMining: uploader.Config{BaseURL: cm.URL(), Token: uploader.Secret(cm.Token()), Project: "acme", Source: source,
				Linger: 10 * time.Millisecond},
			Objects: []mapper.ObjectMapping{{Object: "Case"}, {Object: "EmailMessage"}, {Object: "Task"}},
			Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second, LeaseTTL: 2 * time.Second},
		})
	}
	reg := registry.New(store, keys)
	if _, err := reg.Apply(t.Context(), specs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, name := range []string{"a", "b", "c"} {
		wg.Go(func() {
			_ = serve.Serve(ctx, serve.Settings{Instance: name, LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond, Listen: "off"},
				serve.Deps{Store: store, Keys: keys})
		})
	}

	// Cases keep arriving in every org while the tokens die and rotate.
	want := map[string][]string{}
	end := time.Now().Add(*rotationFor)
	for time.Now().Before(end) {
		i := rand.IntN(n)
		id, err := world.Orgs[i].Org.Create("Case", sfsim.Values{"Subject": "rotating", "Status": "New", "Origin": "Email"})
		if err != nil {
			t.Fatal(err)
		}
		want[specs[i].CommsMining.Source] = append(want[specs[i].CommsMining.Source], mapper.CommentID("Case", id))
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		t.Logf("OAuth counts %+v", world.OAuthCounts())
		views, _ := serve.ReadOverview(context.Background(), reg, store)
		for _, v := range views {
			missing := 0
			for _, id := range want[v.Name[len("acme/"):]] {
				if _, ok := cm.Comment("acme", v.Name[len("acme/"):], id); !ok {
					missing++
				}
			}
			t.Logf("%s: %s (%s), %d cases missing", v.Name, v.State, v.Reason, missing)
		}
	})
	simworld.Eventually(t, "every case in its source", func() bool {
		for source, ids := range want {
			for _, id := range ids {
				if _, ok := cm.Comment("acme", source, id); !ok {
					return false
				}
			}
		}
		return true
	})
	c := world.OAuthCounts()
	t.Logf("%d integrations × 3 topics on 3 instances for %s: %d refreshes (%d rotations), %d refused in flight, %d grants revoked",
		n, *rotationFor, c.Refreshes, c.Rotations, c.InFlightRefusals, c.GrantsRevoked)
	if c.GrantsRevoked != 0 || c.ReplayRevocations != 0 {
		t.Fatalf("OAuth counts %+v: a grant was lost", c)
	}
	if c.Refreshes < n {
		t.Fatalf("%d refreshes for %d integrations whose tokens die every 2 s: the test did not exercise the refresh", c.Refreshes, n)
	}
	views, err := serve.ReadOverview(t.Context(), reg, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.State == serve.StateNeedsReauth || v.State == serve.StateDisabled {
			t.Errorf("%s is %s: %s", v.Name, v.State, v.Reason)
		}
	}
}
