package registry_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/uploader"
	"go.yaml.in/yaml/v3"
)

// Canary secrets: none may appear in a stored byte.
const (
	canaryClientSecret = "CANARY-CLIENT-SECRET-8c1f"
	canaryCMToken      = "CANARY-CM-TOKEN-77aa"
	canaryAccessToken  = "00DCANARY!ACCESS-TOKEN-19e2"
)

func keyring(t *testing.T, entries ...byte) *sealed.Keyring {
	t.Helper()
	var parts []string
	for _, b := range entries {
		parts = append(parts, fmt.Sprintf("key%d:%s", b, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, sealed.KeySize))))
	}
	r, err := sealed.ParseKeys(strings.Join(parts, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func fileStore(t *testing.T) *replay.FileStore {
	t.Helper()
	s, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// spec loads an integration spec from YAML the way `integrations apply`
// reads a file.
func spec(t *testing.T, name, objects string) integration.Spec {
	t.Helper()
	raw := fmt.Sprintf(`name: %s
salesforce:
  instance_url: https://acme.my.salesforce.com
  auth:
    flow: web_server
    client_id: 3MVG9-acme
    client_secret: ${CLIENT_SECRET}
commsmining:
  base_url: https://cm.example.com
  token: ${CM_TOKEN}
  project: acme
  source: salesforce-emails
objects:
%s`, name, objects)
	s, err := integration.Load[integration.Spec]("apply.yaml", []byte(raw), integration.MapEnv(map[string]string{
		"CLIENT_SECRET": canaryClientSecret, "CM_TOKEN": canaryCMToken,
	}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const emails = "  - object: EmailMessage\n"

func TestApplyCreatesOnceThenSaysUnchangedThenNamesWhatChanged(t *testing.T) {
	store := fileStore(t)
	r := registry.New(store, keyring(t, 1))
	ctx := t.Context()

	changes, err := r.Apply(ctx, []integration.Spec{spec(t, "acme/support", emails)})
	if err != nil || len(changes) != 1 || changes[0].Action != registry.Created || changes[0].Version <= 0 {
		t.Fatalf("first apply: %+v, %v; want created", changes, err)
	}
	again, err := r.Apply(ctx, []integration.Spec{spec(t, "acme/support", emails)})
	if err != nil || again[0].Action != registry.Unchanged || again[0].Version != changes[0].Version {
		t.Fatalf("second apply of the same spec: %+v, %v; want unchanged at version %d", again, err, changes[0].Version)
	}
	v, _ := r.Version(ctx)
	if v != changes[0].Version {
		t.Fatalf("an unchanged apply moved the registry version to %d", v)
	}

	changed := spec(t, "acme/support", emails+"  - object: Case\n")
	changed.CommsMining.Token = "a-new-token"
	upd, err := r.Apply(ctx, []integration.Spec{changed})
	if err != nil || upd[0].Action != registry.Updated || upd[0].Version <= changes[0].Version {
		t.Fatalf("apply with changes: %+v, %v", upd, err)
	}
	if !slices.Contains(upd[0].Keys, "objects[1].object") || !slices.Contains(upd[0].Keys, "commsmining.token") {
		t.Fatalf("changed keys %v; want objects[1].object and commsmining.token", upd[0].Keys)
	}
	if strings.Contains(fmt.Sprint(upd), "a-new-token") {
		t.Fatalf("the change report shows a secret: %+v", upd)
	}

	got, err := r.Get(ctx, "acme/support")
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.CommsMining.Token != "a-new-token" || got.Spec.Salesforce.Auth.ClientSecret != canaryClientSecret ||
		len(got.Spec.Objects) != 2 || !got.Enabled || got.Created.IsZero() || got.Version != upd[0].Version {
		t.Fatalf("read back: enabled=%v objects=%d version=%d; want the applied spec with its secrets", got.Enabled, len(got.Spec.Objects), got.Version)
	}
	// Equal as YAML (nil and empty lists are one thing there); the secrets,
	// which YAML redacts, are compared above.
	gotYAML, _ := yaml.Marshal(got.Spec)
	wantYAML, _ := yaml.Marshal(changed)
	if string(gotYAML) != string(wantYAML) {
		t.Fatalf("the stored spec does not read back equal to the applied one:\n got %s\nwant %s", gotYAML, wantYAML)
	}
}

func TestABadBatchWritesNothingAndNamesEveryProblem(t *testing.T) {
	store := fileStore(t)
	r := registry.New(store, keyring(t, 1))
	good := spec(t, "acme/support", emails)
	noName := spec(t, "acme/other", emails)
	noName.Name = ""
	noSource := spec(t, "acme/sales", emails)
	noSource.CommsMining.Source = ""
	_, err := r.Apply(t.Context(), []integration.Spec{good, noName, noSource, good})
	if !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("apply: %v; want ErrInvalid", err)
	}
	for _, want := range []string{"integration 2: name: missing", "commsmining.source", "acme/support: appears twice", "nothing was applied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if list, _ := r.List(t.Context()); len(list) != 0 {
		t.Fatalf("a refused batch stored %d integrations; want none", len(list))
	}
}

func TestSecretsReachTheStoreOnlyAsCiphertextOnRedisToo(t *testing.T) {
	for _, backend := range []string{"file", "redis"} {
		t.Run(backend, func(t *testing.T) {
			var store replay.Store
			var raw func() []string
			if backend == "file" {
				fs := fileStore(t)
				store = fs
				raw = func() []string {
					docs, _ := fs.Integrations(t.Context())
					var out []string
					for _, d := range docs {
						out = append(out, string(d.Doc))
					}
					return out
				}
			} else {
				rs, values := redisStore(t)
				store, raw = rs, values
			}
			r := registry.New(store, keyring(t, 1))
			s := spec(t, "acme/support", emails)
			s.Salesforce.AccessToken = canaryAccessToken
			if _, err := r.Apply(t.Context(), []integration.Spec{s}); err != nil {
				t.Fatal(err)
			}
			values := raw()
			if len(values) == 0 {
				t.Fatal("nothing stored")
			}
			for _, v := range values {
				for _, c := range []string{canaryClientSecret, canaryCMToken, canaryAccessToken} {
					if strings.Contains(v, c) {
						t.Fatalf("a stored value holds the secret %q in plaintext:\n%s", c, v)
					}
				}
			}
			got, err := r.Get(t.Context(), "acme/support")
			if err != nil || got.Spec.Salesforce.AccessToken != canaryAccessToken {
				t.Fatalf("read back: %v", err)
			}
		})
	}
}

func TestACiphertextCopiedToAnotherIntegrationDoesNotOpenAndTheOthersStillList(t *testing.T) {
	store := fileStore(t)
	r := registry.New(store, keyring(t, 1))
	if _, err := r.Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails), spec(t, "acme/sales", emails)}); err != nil {
		t.Fatal(err)
	}
	// Someone with write access to the store pastes support's record (with
	// its sealed secrets) over sales', renaming it.
	support, _ := store.Integration(t.Context(), "acme/support")
	sales, _ := store.Integration(t.Context(), "acme/sales")
	forged := bytes.ReplaceAll(support.Doc, []byte("name: acme/support"), []byte("name: acme/sales"))
	if _, err := store.PutIntegration(t.Context(), "acme/sales", forged, sales.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(t.Context(), "acme/sales"); !errors.Is(err, sealed.ErrTampered) {
		t.Fatalf("get the forged record: %v; want ErrTampered", err)
	}
	list, err := r.List(t.Context())
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d entries, %v", len(list), err)
	}
	if list[0].Name != "acme/sales" || list[0].Err == nil || list[1].Name != "acme/support" || list[1].Err != nil {
		t.Fatalf("list: want sales with an error and support readable; got %v / %v", list[0].Err, list[1].Err)
	}
}

func TestDisableKeepsItsReasonUntilEnableAndRefusesUnknownReasons(t *testing.T) {
	r := registry.New(fileStore(t), keyring(t, 1))
	if _, err := r.Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Disable(t.Context(), "acme/support", "bored", ""); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("disable for an unknown reason: %v", err)
	}
	d, err := r.Disable(t.Context(), "acme/support", registry.ReasonQuota, "CM quota reached")
	if err != nil || d.Enabled || d.Disabled.Reason != registry.ReasonQuota || d.Disabled.Since.IsZero() {
		t.Fatalf("disable: %+v, %v", d.Disabled, err)
	}
	again, _ := r.Disable(t.Context(), "acme/support", registry.ReasonUser, "")
	if again.Disabled.Reason != registry.ReasonQuota || again.Version != d.Version {
		t.Fatalf("disabling again changed the reason to %q", again.Disabled.Reason)
	}
	// An apply of the spec keeps the integration disabled.
	if _, err := r.Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails+"  - object: Task\n")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get(t.Context(), "acme/support"); got.Enabled {
		t.Fatal("an apply enabled a disabled integration")
	}
	e, err := r.Enable(t.Context(), "acme/support")
	if err != nil || !e.Enabled || e.Disabled != (registry.Disabled{}) {
		t.Fatalf("enable: %+v, %v", e, err)
	}
	if _, err := r.Enable(t.Context(), "acme/nobody"); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("enable an unknown integration: %v", err)
	}
}

func TestDeleteReturnsWhatWasDeletedOnce(t *testing.T) {
	r := registry.New(fileStore(t), keyring(t, 1))
	if _, err := r.Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails)}); err != nil {
		t.Fatal(err)
	}
	gone, err := r.Delete(t.Context(), "acme/support")
	if err != nil || gone.Spec.Salesforce.Auth.ClientSecret != canaryClientSecret {
		t.Fatalf("delete: %v", err)
	}
	if _, err := r.Get(t.Context(), "acme/support"); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := r.Delete(t.Context(), "acme/support"); !errors.Is(err, registry.ErrUnknown) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestRotateKeyResealsEverySecretSoTheOldKeyCanGo(t *testing.T) {
	store := fileStore(t)
	old := registry.New(store, keyring(t, 1))
	if _, err := old.Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails), spec(t, "acme/sales", emails)}); err != nil {
		t.Fatal(err)
	}
	both := registry.New(store, keyring(t, 2, 1)) // key2 new primary, key1 kept to open
	n, err := both.RotateKey(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d rewritten, %v; want 2", n, err)
	}
	if n, _ := both.RotateKey(t.Context()); n != 0 {
		t.Fatalf("a second rotation rewrote %d; want 0", n)
	}
	onlyNew := registry.New(store, keyring(t, 2))
	for _, name := range []string{"acme/support", "acme/sales"} {
		got, err := onlyNew.Get(t.Context(), name)
		if err != nil || got.Spec.CommsMining.Token != canaryCMToken {
			t.Fatalf("%s with the new key alone: %v", name, err)
		}
	}
	// Before the rotation the new key alone could not have opened them.
	_, err = registry.New(store, keyring(t, 3)).Get(t.Context(), "acme/support")
	if !errors.Is(err, sealed.ErrUnknownKey) {
		t.Fatalf("an unrelated key: %v; want ErrUnknownKey", err)
	}
}

func TestTwoOperatorsApplyingAtOnceLoseNoChange(t *testing.T) {
	store := fileStore(t)
	keys := keyring(t, 1)
	if _, err := registry.New(store, keys).Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails)}); err != nil {
		t.Fatal(err)
	}
	// One disables while the other applies a new object list, many times
	// over: the end state has both changes.
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, err := registry.New(store, keys).Disable(t.Context(), "acme/support", registry.ReasonUser, "maintenance"); err != nil {
			t.Error(err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, err := registry.New(store, keys).Apply(t.Context(), []integration.Spec{spec(t, "acme/support", emails+"  - object: Case\n")}); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	got, _ := registry.New(store, keys).Get(t.Context(), "acme/support")
	if got.Enabled || len(got.Spec.Objects) != 2 {
		t.Fatalf("after concurrent changes: enabled=%v objects=%d; want disabled with 2 objects", got.Enabled, len(got.Spec.Objects))
	}
}

// TestEverySecretOfTheSpecIsSealed walks the spec's stored fields: a string
// field whose YAML key ends in secret, token or password must be one the
// registry seals, or the registry would store it in plaintext.
func TestEverySecretOfTheSpecIsSealed(t *testing.T) {
	sealedKeys := registry.SecretKeys()
	var walk func(tp reflect.Type, path string)
	walk = func(tp reflect.Type, path string) {
		for i := range tp.NumField() {
			f := tp.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "-" || !f.IsExported() {
				continue
			}
			key := name
			if path != "" && name != "" {
				key = path + "." + name
			} else if name == "" {
				key = path
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
				walk(ft, key)
			case ft.Kind() == reflect.String && (strings.HasSuffix(name, "secret") || strings.HasSuffix(name, "token") || strings.HasSuffix(name, "password")):
				if !slices.Contains(sealedKeys, key) {
					t.Errorf("spec key %s looks like a secret but the registry does not seal it", key)
				}
			}
		}
	}
	walk(reflect.TypeFor[integration.Spec](), "")
	if !slices.Contains(sealedKeys, "commsmining.token") || reflect.TypeFor[uploader.Secret]().Kind() != reflect.String {
		t.Fatal("the walk does not see commsmining.token")
	}
}

func TestWriteChangesSaysWhatHappenedToEachIntegrationWithoutSecrets(t *testing.T) {
	var out strings.Builder
	registry.WriteChanges(&out, []registry.Change{
		{Name: "acme/support", Action: registry.Created, Version: 1},
		{Name: "acme/sales", Action: registry.Updated, Version: 4, Keys: []string{"commsmining.token", "objects[1].object"}},
		{Name: "acme/ops", Action: registry.Unchanged, Version: 2},
	})
	want := "created    acme/support (version 1)\n" +
		"updated    acme/sales (version 4): commsmining.token, objects[1].object\n" +
		"unchanged  acme/ops (version 2)\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
