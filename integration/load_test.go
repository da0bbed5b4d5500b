package integration_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
)

// spec is one integration's file, without any process section.
const spec = `
name: support/emails
salesforce:
  access_token: ${SF_TOKEN}
  instance_url: https://example.my.salesforce.com
  tenant_id: 00D5Y0000000001UAA
commsmining:
  base_url: https://example.reinfer.io
  token: ${CM_TOKEN}
  project: support
  source: salesforce
objects:
  - object: EmailMessage
`

func TestASpecIsLoadedFromBytesWithTheEnvironmentItIsGiven(t *testing.T) {
	env := integration.MapEnv(map[string]string{"SF_TOKEN": "sf-secret", "CM_TOKEN": "cm-secret", "SFCDC_TENANT_ID": "00D5Y0000000002UAA"})
	s, err := integration.Load[integration.Spec]("spec.yaml", []byte(spec), env)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "support/emails" || s.Salesforce.AccessToken != "sf-secret" || string(s.CommsMining.Token) != "cm-secret" {
		t.Fatalf("decoded %q, %q, %q", s.Name, s.Salesforce.AccessToken, s.CommsMining.Token)
	}
	if s.Salesforce.TenantID != "00D5Y0000000002UAA" {
		t.Fatalf("tenant %q: want SFCDC_TENANT_ID to override the file", s.Salesforce.TenantID)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("the loaded spec does not validate: %v", err)
	}
}

func TestWithoutAnEnvironmentNothingIsSetAndTheUnsetVariableIsNamed(t *testing.T) {
	t.Setenv("CM_TOKEN", "from-the-process") // never read: the package reads no process state
	_, err := integration.Load[integration.Spec]("spec.yaml", []byte(spec), nil)
	if !errors.Is(err, integration.ErrInvalid) {
		t.Fatalf("got %v, want an invalid configuration", err)
	}
	for _, want := range []string{"salesforce.access_token (line 4)", "${SF_TOKEN}, which is not set", "commsmining.token (line 9)", "${CM_TOKEN}, which is not set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}

func TestAMisspeltKeyIsNamedWithItsLineAndTheKeyMeant(t *testing.T) {
	env := integration.MapEnv(map[string]string{"SF_TOKEN": "t", "CM_TOKEN": "t"})
	_, err := integration.Load[integration.Spec]("spec.yaml", []byte(strings.Replace(spec, "  project:", "  projcet:", 1)), env)
	want := "invalid configuration in spec.yaml:\n  commsmining.projcet (line 10): unknown key; did you mean project?"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	_, err = integration.Load[integration.Spec]("spec.yaml", []byte(spec+"store:\n  redis_url: redis://x\n"), env)
	if err == nil || !strings.Contains(err.Error(), "store (line 14): unknown key; the sections are name, salesforce, commsmining, backfill, objects, run") {
		t.Fatalf("a process section in a spec file: %v, want it named unknown with the spec's sections", err)
	}
}

func TestANameMustBeProjectSlashName(t *testing.T) {
	env := integration.MapEnv(map[string]string{"SF_TOKEN": "t", "CM_TOKEN": "t"})
	for _, name := range []string{"emails", "support/", "/emails", "support/emails/extra", "support/e mails"} {
		_, err := integration.Load[integration.Spec]("spec.yaml", []byte(strings.Replace(spec, "support/emails", name, 1)), env)
		if err == nil || !strings.Contains(err.Error(), "name (line 2): ") || !strings.Contains(err.Error(), "<project>/<name>") {
			t.Errorf("name %q: %v, want name refused with its line and the shape wanted", name, err)
		}
	}
	s, err := integration.Load[integration.Spec]("spec.yaml", []byte(strings.Replace(spec, "name: support/emails\n", "", 1)), env)
	if err != nil || s.Name != "" {
		t.Fatalf("a spec without a name: %v, want it accepted", err)
	}
}

func TestASpecBuiltInGoIsValidatedWithEveryProblemAtOnce(t *testing.T) {
	err := integration.Spec{Run: integration.Run{Start: "tomorrow"}}.Validate()
	if !errors.Is(err, integration.ErrInvalid) {
		t.Fatalf("got %v, want an invalid configuration", err)
	}
	for _, key := range []string{"salesforce.access_token", "salesforce.tenant_id", "commsmining.base_url", "commsmining.project", "objects:", "run.start"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %s:\n%v", key, err)
		}
	}
}

func TestAFileOverTheLimitIsRefusedBeforeItIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, make([]byte, integration.MaxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := integration.LoadFile[integration.Spec](path, nil)
	if !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "over the limit of 1 MiB") {
		t.Fatalf("got %v, want the limit named", err)
	}
	_, err = integration.Load[integration.Spec]("bytes", make([]byte, integration.MaxFileBytes+1), nil)
	if !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "over the limit of 1 MiB") {
		t.Fatalf("bytes: got %v, want the limit named", err)
	}
}

func TestAnEnvironmentOverrideThatIsNotABooleanIsAConfigurationError(t *testing.T) {
	env := integration.MapEnv(map[string]string{"SF_TOKEN": "t", "CM_TOKEN": "t", "SFCDC_INSECURE": "perhaps"})
	_, err := integration.Load[integration.Spec]("spec.yaml", []byte(spec), env)
	if !errors.Is(err, integration.ErrInvalid) || !strings.Contains(err.Error(), "SFCDC_INSECURE") {
		t.Fatalf("got %v, want SFCDC_INSECURE named", err)
	}
}
