package registry_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/registry"
)

func TestPlanSaysWhatApplyWouldDoAndWritesNothing(t *testing.T) {
	store := fileStore(t)
	r := registry.New(store, keyring(t, 1))
	ctx := t.Context()
	plan, err := r.Plan(ctx, []integration.Spec{spec(t, "acme/support", emails)})
	if err != nil || len(plan) != 1 || plan[0].Action != registry.Created {
		t.Fatalf("plan of a new one: %+v, %v; want created", plan, err)
	}
	if v, _ := r.Version(ctx); v != 0 {
		t.Fatalf("a plan moved the registry to version %d", v)
	}
	applied, err := r.Apply(ctx, []integration.Spec{spec(t, "acme/support", emails)})
	if err != nil {
		t.Fatal(err)
	}
	plan, err = r.Plan(ctx, []integration.Spec{spec(t, "acme/support", emails), spec(t, "acme/sales", emails)})
	if err != nil || plan[0].Action != registry.Unchanged || plan[0].Version != applied[0].Version || plan[1].Action != registry.Created {
		t.Fatalf("plan of the same and a new one: %+v, %v; want unchanged and created", plan, err)
	}
	changed := spec(t, "acme/support", emails+"  - object: Case\n")
	changed.CommsMining.Token = "a-new-token"
	plan, err = r.Plan(ctx, []integration.Spec{changed})
	if err != nil || plan[0].Action != registry.Updated || !slices.Contains(plan[0].Keys, "commsmining.token") || !slices.Contains(plan[0].Keys, "objects[1].object") {
		t.Fatalf("plan of a change: %+v, %v; want updated with commsmining.token and objects[1].object", plan, err)
	}
	if got, _ := r.Get(ctx, "acme/support"); len(got.Spec.Objects) != 1 || got.Version != applied[0].Version {
		t.Fatalf("a plan changed the stored integration: %d objects, version %d", len(got.Spec.Objects), got.Version)
	}
	bad := spec(t, "acme/other", emails)
	bad.CommsMining.Source = ""
	if _, err := r.Plan(ctx, []integration.Spec{bad}); !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), "commsmining.source") {
		t.Fatalf("plan of a bad spec: %v, want ErrInvalid naming commsmining.source", err)
	}
}

func TestMaskedHidesEverySecretAndKeepsTheRest(t *testing.T) {
	s := spec(t, "acme/support", emails)
	s.Salesforce.AccessToken = canaryAccessToken
	m := registry.Masked(s)
	text := fmt.Sprintf("%+v %s %s %s", m, m.Salesforce.Auth.ClientSecret, m.CommsMining.Token, m.Salesforce.AccessToken)
	for _, canary := range []string{canaryClientSecret, canaryCMToken, canaryAccessToken} {
		if strings.Contains(text, canary) {
			t.Fatalf("the masked spec shows %s", canary)
		}
	}
	if m.Salesforce.Auth.ClientSecret != registry.MaskedSecret || string(m.CommsMining.Token) != registry.MaskedSecret ||
		m.Salesforce.AccessToken != registry.MaskedSecret || m.CommsMining.Project != "acme" || s.CommsMining.Token == registry.MaskedSecret {
		t.Fatalf("masked %+v; want every secret %s, the rest kept, the original untouched", m, registry.MaskedSecret)
	}
	if empty := registry.Masked(integration.Spec{}); empty.CommsMining.Token != "" {
		t.Fatalf("an empty secret became %q", empty.CommsMining.Token)
	}
}
