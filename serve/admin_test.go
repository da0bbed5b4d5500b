package serve_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// Canaries: none may appear in what Admin prints.
const (
	canaryCMToken = "CANARY-ADMIN-CM-TOKEN-5e1d"
	canarySession = "00DCANARY!ADMIN-SESSION-77c0"
)

const adminSpec = `name: acme/support
salesforce:
  access_token: ${SF_TOKEN}
  instance_url: https://acme.my.salesforce.com
  tenant_id: 00D5Y0000000001UAA
commsmining:
  base_url: https://cm.example.com
  token: ${CM_TOKEN}
  project: acme
  source: support
objects:
  - object: Case
`

func newAdmin(t *testing.T) *serve.Admin {
	t.Helper()
	s, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sealed.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	a := serve.NewAdmin(s, keys)
	a.StopWait = 5 * time.Second
	t.Cleanup(func() { a.Close() })
	return a
}

var adminEnv = integration.MapEnv(map[string]string{"SF_TOKEN": canarySession, "CM_TOKEN": canaryCMToken})

func noCanary(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range []string{canaryCMToken, canarySession} {
		if strings.Contains(text, c) {
			t.Fatalf("%s shows a secret:\n%s", what, text)
		}
	}
}

func TestAdminAppliesOnceThenSaysUnchangedAndTheDryRunWritesNothing(t *testing.T) {
	a := newAdmin(t)
	ctx := t.Context()
	path := writeFile(t, "support.yaml", adminSpec)
	var out bytes.Buffer
	if err := a.Apply(ctx, path, adminEnv, true, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created    acme/support") || !strings.Contains(out.String(), "dry run: nothing was written") {
		t.Fatalf("dry run printed:\n%s", out.String())
	}
	if entries, _ := a.Registry.List(ctx); len(entries) != 0 {
		t.Fatalf("the dry run wrote %d integrations", len(entries))
	}
	for i, want := range []string{"created    acme/support (version", "unchanged  acme/support"} {
		out.Reset()
		if err := a.Apply(ctx, path, adminEnv, false, &out); err != nil || !strings.Contains(out.String(), want) {
			t.Fatalf("apply %d: %v, printed %q; want %q", i+1, err, out.String(), want)
		}
	}
	changed := writeFile(t, "support.yaml", strings.Replace(adminSpec, "  - object: Case\n", "  - object: Case\n  - object: Task\n", 1))
	out.Reset()
	if err := a.Apply(ctx, changed, integration.MapEnv(map[string]string{"SF_TOKEN": canarySession, "CM_TOKEN": "another"}), false, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "updated    acme/support") || !strings.Contains(got, "commsmining.token") || !strings.Contains(got, "objects[1].object") {
		t.Fatalf("an update printed %q; want the changed keys", got)
	}
	noCanary(t, "apply", out.String())
}

func TestAdminRefusesABadFileNamingEveryProblemAndWritesNothing(t *testing.T) {
	a := newAdmin(t)
	bad := strings.Replace(strings.Replace(adminSpec, "  source: support\n", "", 1), "objects:", "objcts:", 1)
	var out bytes.Buffer
	err := a.Apply(t.Context(), writeFile(t, "bad.yaml", bad), adminEnv, false, &out)
	if !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("%v, want registry.ErrInvalid", err)
	}
	for _, want := range []string{"commsmining.source", "objcts (line 10): unknown key; did you mean objects?"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if entries, _ := a.Registry.List(t.Context()); len(entries) != 0 {
		t.Fatalf("a bad file wrote %d integrations", len(entries))
	}
	if err := a.Apply(t.Context(), "", adminEnv, false, &out); !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), "-f FILE|DIR is required") {
		t.Fatalf("no file: %v", err)
	}
}

func TestAdminListsShowsMaskedDisablesEnablesAndDeletes(t *testing.T) {
	a := newAdmin(t)
	ctx := t.Context()
	var out bytes.Buffer
	if err := a.Apply(ctx, writeFile(t, "support.yaml", adminSpec), adminEnv, false, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := a.List(ctx, &out, false); err != nil || !strings.Contains(out.String(), "acme/support") || !strings.Contains(out.String(), "unassigned") {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := a.Show(ctx, "acme/support", &out, true); err != nil {
		t.Fatal(err)
	}
	noCanary(t, "show --json", out.String())
	var shown serve.Shown
	if err := json.Unmarshal(out.Bytes(), &shown); err != nil {
		t.Fatal(err)
	}
	cm, _ := shown.Spec["commsmining"].(map[string]any)
	sf, _ := shown.Spec["salesforce"].(map[string]any)
	if shown.Name != "acme/support" || cm["token"] == "" || sf["access_token"] != registry.MaskedSecret || cm["project"] != "acme" || len(shown.Units) == 0 {
		t.Fatalf("show --json: %s", out.String())
	}
	out.Reset()
	if err := a.Show(ctx, "acme/support", &out, false); err != nil || !strings.Contains(out.String(), "access_token: "+registry.MaskedSecret) {
		t.Fatalf("show: %v\n%s", err, out.String())
	}
	noCanary(t, "show", out.String())
	if err := a.Show(ctx, "acme/none", &out, false); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("show of an unknown name: %v", err)
	}

	if err := a.Disable(ctx, "acme/support", " ", &out); !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("disable without a reason: %v", err)
	}
	out.Reset()
	if err := a.Disable(ctx, "acme/support", "customer offboarding", &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	_ = a.List(ctx, &out, false)
	if !strings.Contains(out.String(), "disabled") || !strings.Contains(out.String(), "user: customer offboarding") {
		t.Fatalf("list after disable:\n%s", out.String())
	}
	if err := a.Enable(ctx, "acme/support", &out); err != nil {
		t.Fatal(err)
	}
	if in, _ := a.Registry.Get(ctx, "acme/support"); !in.Enabled {
		t.Fatal("enable left it disabled")
	}
	out.Reset()
	if err := a.Delete(ctx, "acme/support", false, &out); err != nil || !strings.Contains(out.String(), "--purge") {
		t.Fatalf("delete: %v\n%s", err, out.String())
	}
	if _, err := a.Registry.Get(ctx, "acme/support"); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("after delete: %v", err)
	}
	if err := a.Delete(ctx, "acme/support", false, &out); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("a second delete: %v, want ErrUnknown", err)
	}
}

func TestAdminDeleteWithPurgeRemovesTheIntegrationsStateOnly(t *testing.T) {
	a := newAdmin(t)
	ctx := t.Context()
	var out bytes.Buffer
	if err := a.Apply(ctx, writeFile(t, "support.yaml", adminSpec), adminEnv, false, &out); err != nil {
		t.Fatal(err)
	}
	const org, topic = "00D5Y0000000001UAA", "/data/CaseChangeEvent"
	mine, other := replay.NewScoped(a.Store, "acme/support"), replay.NewScoped(a.Store, "acme/other")
	for _, s := range []replay.Store{mine, other} {
		lease, err := s.AcquireLease(ctx, org, topic, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := a.Delete(ctx, "acme/support", true, &out); err != nil || !strings.Contains(out.String(), "purged     acme/support") {
		t.Fatalf("delete --purge: %v\n%s", err, out.String())
	}
	if _, err := mine.Checkpoint(ctx, org, topic); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("the purged integration's checkpoint: %v, want not found", err)
	}
	if _, err := other.Checkpoint(ctx, org, topic); err != nil {
		t.Fatalf("another integration's checkpoint: %v", err)
	}
	out.Reset()
	if err := a.Delete(ctx, "acme/support", true, &out); err != nil || !strings.Contains(out.String(), "not in the registry") {
		t.Fatalf("delete --purge of a deleted one: %v\n%s", err, out.String())
	}
}

func TestAdminDeleteWithPurgeWaitsForTheInstancesAndKeepsTheStateWhenOneStillRunsIt(t *testing.T) {
	a := newAdmin(t)
	a.StopWait = 300 * time.Millisecond
	ctx := t.Context()
	var out bytes.Buffer
	if err := a.Apply(ctx, writeFile(t, "support.yaml", adminSpec), adminEnv, false, &out); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(serve.Report{Integration: "acme/support", Instance: "serve-9"})
	if err := a.Store.SaveReport(ctx, "acme/support@serve-9", doc, time.Minute); err != nil {
		t.Fatal(err)
	}
	const org, topic = "00D5Y0000000001UAA", "/data/CaseChangeEvent"
	mine := replay.NewScoped(a.Store, "acme/support")
	lease, _ := mine.AcquireLease(ctx, org, topic, "test", time.Minute)
	if err := mine.SaveCheckpoint(ctx, lease, replay.Checkpoint{ReplayID: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	err := a.Delete(ctx, "acme/support", true, &out)
	if err == nil || !strings.Contains(err.Error(), "still runs on serve-9") || !strings.Contains(err.Error(), "--purge") {
		t.Fatalf("delete --purge while serve-9 runs it: %v", err)
	}
	if _, err := mine.Checkpoint(ctx, org, topic); err != nil {
		t.Fatalf("the state was purged while an instance ran it: %v", err)
	}
}

func TestGenerateKeyPrintsAKeyTheKeyringTakes(t *testing.T) {
	var out bytes.Buffer
	if err := serve.GenerateKey(&out); err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.ParseKeys(strings.TrimSpace(out.String())); err != nil {
		t.Fatalf("the generated key %q does not parse: %v", out.String(), err)
	}
}

func TestAdminRotateKeyResealsSoTheOldKeyCanGo(t *testing.T) {
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	old := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, sealed.KeySize))
	next := "k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, sealed.KeySize))
	admin := func(keyring string) *serve.Admin {
		keys, err := sealed.ParseKeys(keyring)
		if err != nil {
			t.Fatal(err)
		}
		return serve.NewAdmin(store, keys)
	}
	ctx := t.Context()
	var out bytes.Buffer
	if err := admin(old).Apply(ctx, writeFile(t, "support.yaml", adminSpec), adminEnv, false, &out); err != nil {
		t.Fatal(err)
	}
	if err := admin(next).Show(ctx, "acme/support", &out, false); err == nil {
		t.Fatal("a keyring without the sealing key opened the secrets")
	}
	out.Reset()
	if err := admin(next+","+old).RotateKey(ctx, &out); err != nil || !strings.Contains(out.String(), "resealed 1 integrations with key k2") {
		t.Fatalf("rotate-key: %v\n%s", err, out.String())
	}
	in, err := admin(next).Registry.Get(ctx, "acme/support")
	if err != nil || string(in.Spec.CommsMining.Token) != canaryCMToken {
		t.Fatalf("after rotation, the new key alone: %v", err)
	}
}

func TestCheckServicesNamesWhatTheOrgAndCMRefuse(t *testing.T) {
	t.Parallel()
	w := simworld.New(t, simworld.Options{Seed: 21, Project: "acme", Source: "support"})
	spec := integration.Spec{
		Name: "acme/support",
		Salesforce: integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
			AccessToken: w.Sim.AccessToken, InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID()},
		CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: "support"},
		Objects:     []mapper.ObjectMapping{{Object: "Case"}},
	}
	if p := serve.CheckServices(t.Context(), spec); len(p) != 0 {
		t.Fatalf("a good integration: %v", p)
	}
	spec.CommsMining.Source = "no-such-source"
	spec.Objects = []mapper.ObjectMapping{{Object: "NoSuchObject__c", Comment: mapper.CommentMapping{Body: []string{"Description__c"}}}}
	got := strings.Join(serve.CheckServices(t.Context(), spec), "\n")
	if !strings.Contains(got, "NoSuchObject__c") || !strings.Contains(got, "no-such-source") {
		t.Fatalf("problems %q; want the object and the source named", got)
	}
}
