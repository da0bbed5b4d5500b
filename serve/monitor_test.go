package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// testKeys is a keyring for the tests that run Serve.
func testKeys(t testing.TB) *sealed.Keyring {
	t.Helper()
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// orgSpec is an integration of one org of world into the CM source
// acme/<source> (created here), streaming objects.
func orgSpec(world *sfsim.World, org *sfsim.Sim, cm *commsmining.Server, source string, objects ...string) integration.Spec {
	cm.CreateSource("acme", source)
	host, _ := url.Parse(org.InstanceURL)
	var oms []mapper.ObjectMapping
	for _, o := range objects {
		oms = append(oms, mapper.ObjectMapping{Object: o})
	}
	return integration.Spec{
		Name: "acme/" + source,
		Salesforce: integration.Salesforce{PubSubEndpoint: world.PubSub.Addr(), Insecure: true,
			AccessToken: org.AccessToken, InstanceURL: org.InstanceURL, TenantID: org.Org.ID(),
			Auth: integration.Auth{TrustedHosts: []string{host.Hostname()}}},
		CommsMining: uploader.Config{BaseURL: cm.URL(), Token: uploader.Secret(cm.Token()), Project: "acme", Source: source,
			Linger: 10 * time.Millisecond},
		Objects: oms,
		Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second, LeaseTTL: 2 * time.Second},
	}
}

// httpGet fetches a monitoring path.
func httpGet(t testing.TB, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// sample is the value of the series name{want…}, and whether there is one.
func sample(t testing.TB, addr, name string, want map[string]string) (float64, bool) {
	t.Helper()
	code, body := httpGet(t, addr, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d: %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return valueOf(families[name], want)
}

func valueOf(mf *dto.MetricFamily, want map[string]string) (float64, bool) {
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// Serve's own monitoring: per-topic series for each integration it runs,
// told apart by the integration label; the deployment's integrations by
// state and this instance's units; /readyz not ready while another live
// instance (that runs nothing) holds some units, ready once it leaves and
// they move here.
func TestServeMonitoringServesEachIntegrationsSeriesAndReadyzFlips(t *testing.T) {
	t.Parallel()
	world, err := sfsim.StartWorld(sfsim.WorldConfig{Orgs: 2, PubSub: sfsim.PubSubConfig{Insecure: true},
		Org: func(i int) sfsim.Config { return sfsim.Config{Seed: uint64(300 + i)} }})
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
	keys := testKeys(t)
	var specs []integration.Spec
	for i, org := range world.Orgs {
		specs = append(specs, orgSpec(world, org, cm, fmt.Sprintf("mon-%d", i), "Case", "EmailMessage"))
	}
	if _, err := registry.New(store, keys).Apply(t.Context(), specs); err != nil {
		t.Fatal(err)
	}
	// A live instance that runs nothing: the units it is assigned have no
	// holder, so the deployment is not ready.
	if _, err := store.Heartbeat(t.Context(), "ghost", time.Minute); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	listening := make(chan string, 1)
	go func() {
		done <- serve.Serve(ctx, serve.Settings{Instance: "watched", LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond, Listen: "127.0.0.1:0"},
			serve.Deps{Store: store, Keys: keys, Listening: func(addr string) { listening <- addr }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	addr := <-listening

	simworld.Eventually(t, "/readyz not ready, naming a unit nobody runs", func() bool {
		code, body := httpGet(t, addr, "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "no instance runs it")
	})
	if code, body := httpGet(t, addr, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if err := store.Leave(t.Context(), "ghost"); err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "/readyz ready once every unit runs here", func() bool {
		code, body := httpGet(t, addr, "/readyz")
		return code == http.StatusOK && body == "ready\n"
	})

	for _, org := range world.Orgs {
		if _, err := org.Org.Create("Case", sfsim.Values{"Subject": "Printer on fire", "Status": "New", "Origin": "Email"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sp := range specs {
		simworld.Eventually(t, sp.Name+"'s case counted under its own label", func() bool {
			v, ok := sample(t, addr, "sfcdc_events_total", map[string]string{"integration": sp.Name, "topic": "/data/CaseChangeEvent"})
			return ok && v == 1
		})
		if _, ok := sample(t, addr, "sfcdc_topic_state", map[string]string{"integration": sp.Name, "topic": "/data/EmailMessageChangeEvent", "state": "streaming"}); !ok {
			t.Errorf("no topic state series of %s's email topic", sp.Name)
		}
	}
	simworld.Eventually(t, "both integrations counted streaming and all 6 units held here", func() bool {
		streaming, _ := sample(t, addr, "sfcdc_integrations", map[string]string{"state": "streaming"})
		held, _ := sample(t, addr, "sfcdc_units_held", nil)
		return streaming == 2 && held == 6
	})
	if v, ok := sample(t, addr, "sfcdc_integrations", map[string]string{"state": "disabled"}); !ok || v != 0 {
		t.Errorf("sfcdc_integrations{state=disabled} = %v (%v), want a 0 series", v, ok)
	}
}
