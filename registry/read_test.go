package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/registry"
)

const oneIntegration = `name: acme/%s
salesforce:
  instance_url: https://acme.my.salesforce.com
  auth: {flow: web_server, client_id: 3MVG9-acme, client_secret: "${CLIENT_SECRET}"}
commsmining: {base_url: "https://cm.example.com", token: "${CM_TOKEN}", project: acme, source: %s}
objects:
  - object: EmailMessage
`

func writeSpecFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadSpecsTakesAFileAListOrAFolderWithTheEnvironmentExpanded(t *testing.T) {
	env := integration.MapEnv(map[string]string{"CLIENT_SECRET": canaryClientSecret, "CM_TOKEN": canaryCMToken})
	dir := t.TempDir()
	single := writeSpecFile(t, dir, "a.yaml", strings.ReplaceAll(strings.ReplaceAll(oneIntegration, "%s", "support"), "\n", "\n"))
	specs, err := registry.ReadSpecs(single, env)
	if err != nil || len(specs) != 1 || specs[0].Name != "acme/support" || specs[0].Salesforce.Auth.ClientSecret != canaryClientSecret {
		t.Fatalf("one file: %d specs, %v", len(specs), err)
	}
	list := "- " + strings.ReplaceAll(strings.ReplaceAll(oneIntegration, "%s", "sales"), "\n", "\n  ") + "\n- " +
		strings.ReplaceAll(strings.ReplaceAll(oneIntegration, "%s", "ops"), "\n", "\n  ")
	writeSpecFile(t, dir, "b.yml", list)
	writeSpecFile(t, dir, "notes.txt", "not an integration")
	specs, err = registry.ReadSpecs(dir, env)
	if err != nil || len(specs) != 3 || specs[1].Name != "acme/sales" || specs[2].CommsMining.Token != canaryCMToken {
		t.Fatalf("folder: %d specs, %v", len(specs), err)
	}
}

func TestReadSpecsNamesEveryProblemOfEveryFileAndReturnsNothing(t *testing.T) {
	dir := t.TempDir()
	writeSpecFile(t, dir, "a.yaml", strings.ReplaceAll(oneIntegration, "%s", "support")+"objcts: []\n")
	writeSpecFile(t, dir, "b.yaml", "- name: acme/x\n  commsmining: {base_url: 5}\n")
	specs, err := registry.ReadSpecs(dir, integration.MapEnv(nil))
	if !errors.Is(err, registry.ErrInvalid) || specs != nil {
		t.Fatalf("got %d specs, %v; want ErrInvalid and none", len(specs), err)
	}
	for _, want := range []string{"a.yaml", "objcts", "b.yaml[0]", "nothing was applied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if _, err := registry.ReadSpecs(filepath.Join(dir, "missing.yaml"), integration.MapEnv(nil)); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("a missing file: %v", err)
	}
	if _, err := registry.ReadSpecs(t.TempDir(), integration.MapEnv(nil)); err == nil || !strings.Contains(err.Error(), "no .yaml") {
		t.Fatalf("an empty folder: %v", err)
	}
}
